# METADATA
# title: S3 bucket name without the team prefix
# description: Every S3 bucket is named "shop-<purpose>", so its owner is known at a glance.
# scope: package
# schemas:
#   - input: schema["cloud"]
# custom:
#   id: USER-001
#   avd_id: USER-001
#   provider: aws
#   service: s3
#   severity: MEDIUM
#   short_code: bucket-team-prefix
#   recommended_action: Rename the bucket to shop-<purpose>.
#   input:
#     selector:
#       - type: cloud
#         subtypes:
#           - service: s3
#             provider: aws
package user.aws.s3.bucket_team_prefix

import rego.v1

deny contains res if {
	some bucket in input.aws.s3.buckets
	not startswith(bucket.name.value, "shop-")
	res := result.new(sprintf("S3 bucket %q is not named shop-<purpose>", [bucket.name.value]), bucket)
}
