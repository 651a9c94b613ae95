// Local serverless plugin: uploads the Glue ETL script on `serverless deploy`.
//
// Glue reads its script from S3, and nothing in the CloudFormation template can upload a file.
// The script goes into the stack's own deployment bucket, under the service/stage prefix that
// osls already manages: `serverless remove` empties that prefix (so the bucket can be deleted),
// while the per-deploy cleanup only prunes timestamped artifact folders and leaves `glue/` alone.
// The key comes from `custom.glueScript.key`, the same value the Glue job's ScriptLocation uses.
//
// The upload runs right after osls uploads its own artifacts, i.e. before the stack update,
// and also when osls skips the update because the template did not change: a script-only change
// still reaches S3.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

class GlueScriptMissingError extends Error {
  constructor(scriptPath) {
    super(`Glue script not found at ${scriptPath} (custom.glueScript.source)`);
    this.name = 'GlueScriptMissingError';
  }
}

class UploadGlueScriptPlugin {
  constructor(serverless, _options, { log } = {}) {
    this.serverless = serverless;
    this.provider = serverless.getProvider('aws');
    this.log = log ?? { notice: console.log, warning: console.warn };
    this.hooks = {
      'after:package:finalize': () => this.checkScriptExists(),
      'after:aws:deploy:deploy:uploadArtifacts': () => this.upload(),
    };
  }

  settings() {
    const glueScript = this.serverless.service.custom?.glueScript ?? {};
    if (!glueScript.source || !glueScript.key) {
      throw new Error('custom.glueScript.source and custom.glueScript.key must be set');
    }
    return {
      source: path.resolve(this.serverless.serviceDir, glueScript.source),
      key: glueScript.key,
    };
  }

  /** Packaging stays offline; it only warns so a half-built tree can still be packaged. */
  checkScriptExists() {
    const { source } = this.settings();
    if (!fs.existsSync(source)) {
      this.log.warning(`${source} does not exist yet; \`serverless deploy\` will fail without it`);
    }
  }

  async upload() {
    const { source, key } = this.settings();
    if (!fs.existsSync(source)) throw new GlueScriptMissingError(source);
    // Loaded lazily: `serverless package` must not need the SDK or credentials.
    const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');
    const bucket = await this.provider.getServerlessDeploymentBucketName();
    const client = new S3Client(await this.provider.getAwsSdkV3Config());
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: fs.readFileSync(source),
        ContentType: 'text/x-python',
        ServerSideEncryption: 'AES256',
      }),
    );
    this.log.notice(
      `Uploaded ${path.relative(this.serverless.serviceDir, source)} to s3://${bucket}/${key}`,
    );
  }
}

module.exports = UploadGlueScriptPlugin;
