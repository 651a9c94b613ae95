// botocore's models as the twin reads them: found on the machine, named in messages, and their
// patterns applied to the whole value, as AWS applies them, whichever botocore wrote them.
import { describe, expect, it } from 'vitest';
import {
  botocoreConstraints,
  botocorePackage,
  wholeValuePattern,
} from '../../../../local/api-models/botocore.js';

describe('wholeValuePattern', () => {
  it("matches the whole value, with the older models' ^ or without it", () => {
    // Prepare: TrainingJobName as botocore 1.29 and as botocore 1.4x write it.
    const older = wholeValuePattern('^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}');
    const newer = wholeValuePattern('[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}');

    // Assess
    for (const regex of [older, newer]) {
      expect(regex?.test('smogcast-20260101-1200')).toBe(true);
      expect(regex?.test('smogcast_1')).toBe(false);
      expect(regex?.test('-smogcast')).toBe(false);
      expect(regex?.test('a'.repeat(64))).toBe(false);
    }
  });

  it('compiles unicode classes and lookbehinds', () => {
    expect(wholeValuePattern('([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)')?.test('Name: é 1')).toBe(true);
    expect(wholeValuePattern('([a-zA-Z0-9]([a-zA-Z0-9-]){0,62})(?<!-)')?.test('abc-')).toBe(false);
  });
});

describe('botocoreConstraints', () => {
  it("reads the installed botocore's model of the same API version, and names it", () => {
    // Act
    const pkg = botocorePackage();
    const sagemaker = botocoreConstraints('SageMaker', 'sagemaker-2017-07-24');
    const runtime = botocoreConstraints('SageMaker Runtime', 'runtime.sagemaker-2017-05-13');

    // Assess
    expect(pkg, 'no botocore: apt-get install python3-botocore').not.toBeNull();
    expect(sagemaker?.source).toBe(`botocore ${pkg?.version} sagemaker/2017-07-24`);
    expect(sagemaker?.inputs.CreateEndpointConfig).toBe('CreateEndpointConfigInput');
    expect(sagemaker?.shapes.TrainingJobName).toMatchObject({ max: 63 });
    expect(runtime?.source).toMatch(/ sagemaker-runtime\/2017-05-13$/);
  });

  it('has nothing for an API version botocore does not ship', () => {
    expect(botocoreConstraints('SageMaker', 'sagemaker-1999-01-01')).toBeNull();
  });
});
