#!/usr/bin/env bash
# Registers one sensor with AWS IoT Core for a deployed smogcast stage: a thing named after the
# device id (the IoT policy only lets a client connect as its own thing and publish to
# smogcast/<thing>/telemetry), an active certificate with its keys, the stage's device policy,
# and Amazon's root CA. Prints the device agent command line that uses them.
#
# Needs the AWS CLI v2 and credentials that may manage IoT things and certificates.
# Usage: deploy/register-device.sh <deviceId> [stage=dev] [region=$AWS_REGION|us-east-1] [outDir]
# The private key is written under outDir (default .smogcast/certs/<deviceId>, git-ignored).
set -euo pipefail

device_id="${1:?usage: $0 <deviceId> [stage] [region] [outDir]}"
stage="${2:-dev}"
region="${3:-${AWS_REGION:-us-east-1}}"
out_dir="${4:-.smogcast/certs/${device_id}}"
policy="smogcast-device-${stage}"

# IoT thing names allow these characters; MQTT topic wildcards (+ #) and slashes must not appear.
if [[ ! "${device_id}" =~ ^[a-zA-Z0-9:_-]{1,128}$ ]]; then
  echo "device id must match [a-zA-Z0-9:_-]{1,128}: ${device_id}" >&2
  exit 2
fi

aws iot get-policy --region "${region}" --policy-name "${policy}" >/dev/null ||
  { echo "policy ${policy} not found: deploy the stage first (npx serverless deploy --stage ${stage})" >&2; exit 1; }

# Everything this script writes (the folder, the private key, the certificate) is created
# readable by the owner only: no window in which another user could read the key.
umask 077
mkdir -p "${out_dir}"
chmod 700 "${out_dir}"

# create-thing is idempotent for an existing thing with the same attributes.
aws iot create-thing --region "${region}" --thing-name "${device_id}" >/dev/null

cert_arn="$(aws iot create-keys-and-certificate --region "${region}" --set-as-active \
  --certificate-pem-outfile "${out_dir}/device.pem.crt" \
  --public-key-outfile "${out_dir}/public.pem.key" \
  --private-key-outfile "${out_dir}/private.pem.key" \
  --query certificateArn --output text)"
# A key file that existed before keeps its old mode when overwritten: umask does not apply.
chmod 600 "${out_dir}/private.pem.key"

aws iot attach-policy --region "${region}" --policy-name "${policy}" --target "${cert_arn}"
aws iot attach-thing-principal --region "${region}" --thing-name "${device_id}" --principal "${cert_arn}"

curl -fsS -o "${out_dir}/AmazonRootCA1.pem" https://www.amazontrust.com/repository/AmazonRootCA1.pem

endpoint="$(aws iot describe-endpoint --region "${region}" --endpoint-type iot:Data-ATS \
  --query endpointAddress --output text)"

echo "registered ${device_id} (${cert_arn})"
echo "npm run device -- --endpoint ${endpoint} --cert ${out_dir}/device.pem.crt" \
  "--key ${out_dir}/private.pem.key --ca ${out_dir}/AmazonRootCA1.pem --client-id ${device_id}"
