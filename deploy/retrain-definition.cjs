// Loads state-machines/retrain.asl.json for serverless.yml (`${file(./deploy/retrain-definition.cjs)}`)
// so the very file the local runner executes is what CloudFormation deploys: no copy, no
// template. Its `${Name}` placeholders travel untouched into the template and are filled by the
// state machine's DefinitionSubstitutions.
//
// It returns the file's text, for `DefinitionString`, not the parsed object for `Definition`:
// osls drops null values from resources, and `"ResultPath": null` (discard the task result)
// would silently become "replace the whole state with the result".
//
// Why a loader instead of `${file(...json)}` directly: osls resolves its own variables inside an
// included file, and anything shaped like `${source:address}` would be taken as one. Plain
// `${Name}` is left alone, so this loader fails the package if the file ever holds any other
// dollar-brace form, rather than letting it be rewritten silently.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const DEFINITION_PATH = path.join(__dirname, '..', 'state-machines', 'retrain.asl.json');
const ANY_PLACEHOLDER = /\$\{([^}]*)\}/g;
const PLAIN_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** The `${Name}` placeholders the definition uses, sorted and unique. */
const placeholdersIn = (text) => {
  const names = new Set();
  for (const match of text.matchAll(ANY_PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!PLAIN_NAME.test(name)) {
      throw new Error(
        `${DEFINITION_PATH}: placeholder "\${${name}}" is not a plain \${Name}; serverless would try to resolve it`,
      );
    }
    names.add(name);
  }
  return [...names].sort();
};

/** The definition file's text, checked to be JSON with plain placeholders only. */
const loadRetrainDefinition = () => {
  const text = fs.readFileSync(DEFINITION_PATH, 'utf8');
  JSON.parse(text);
  placeholdersIn(text);
  return text;
};

module.exports = loadRetrainDefinition;
module.exports.placeholdersIn = placeholdersIn;
module.exports.DEFINITION_PATH = DEFINITION_PATH;
