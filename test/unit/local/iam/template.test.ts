// serverless.yml read as the framework resolves it, and the intrinsics its policies use.
import { describe, expect, it } from 'vitest';
import { LOCAL_CALLERS, type LocalCaller, roleOf } from '../../../../local/iam/callers.js';
import {
  evaluate,
  lambdaLogicalId,
  loadTemplate,
  rolePolicies,
  templateFromServerlessYml,
} from '../../../../local/iam/template.js';
import { dollarBrace } from '../../../fixtures/dollar-brace.js';

const YML = `
service: demo
params:
  default: { size: 2 }
  prod: { size: 8 }
custom:
  bucket: demo-\${sls:stage}-\${AWS::AccountId}
  grant:
    Effect: Allow
    Action: s3:GetObject
    Resource: !Sub arn:\${AWS::Partition}:s3:::\${self:custom.bucket}/a/*
functions:
  do-it: { handler: h.handler, role: WorkRole }
resources:
  Resources:
    Lake:
      Type: AWS::S3::Bucket
      Properties: { BucketName: !Sub "\${self:custom.bucket}" }
    WorkRole:
      Type: AWS::IAM::Role
      Properties:
        Policies:
          - PolicyName: p
            PolicyDocument:
              Version: "2012-10-17"
              Statement:
                - \${self:custom.grant}
                - Effect: Allow
                  Action: s3:ListBucket
                  Resource: !GetAtt Lake.Arn
                  Condition: { NumericLessThan: { s3:max-keys: "\${param:size}" } }
`;

describe('templateFromServerlessYml', () => {
  it('resolves self, sls, param and the framework-generated functions, then the intrinsics', () => {
    const template = templateFromServerlessYml(YML, { stage: 'prod' });
    expect(template.Resources[lambdaLogicalId('do-it')]).toEqual({
      Type: 'AWS::Lambda::Function',
      Properties: { FunctionName: 'demo-prod-do-it', Role: { 'Fn::GetAtt': ['WorkRole', 'Arn'] } },
    });
    expect(rolePolicies(template, 'WorkRole')[0]?.policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::demo-prod-000000000000/a/*',
      },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::demo-prod-000000000000',
        // A whole-string variable keeps its value's type, as in the framework.
        Condition: { NumericLessThan: { 's3:max-keys': 8 } },
      },
    ]);
    expect(
      evaluate(template, { 'Fn::Sub': `${dollarBrace('!Literal')}-${dollarBrace('AWS::Region')}` }),
    ).toBe(`${dollarBrace('Literal')}-us-east-1`);
  });

  it('names check-drift as the framework does', () => {
    expect(lambdaLogicalId('check-drift')).toBe('CheckDashdriftLambdaFunction');
  });
});

describe('the repository template', () => {
  it('gives every local caller a role of the template', () => {
    const template = loadTemplate();
    for (const caller of Object.keys(LOCAL_CALLERS) as LocalCaller[]) {
      expect(template.Resources[roleOf(template, caller)]?.Type, caller).toBe('AWS::IAM::Role');
    }
    expect(roleOf(template, 'status')).toBe(roleOf(template, 'devices'));
  });
});
