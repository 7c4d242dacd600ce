# METADATA
# title: Base image from outside our registry
# description: Images are built only on base images mirrored into our own registry.
# scope: package
# custom:
#   id: USER-002
#   avd_id: USER-002
#   severity: HIGH
#   short_code: trusted-base-image
#   recommended_action: Build FROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/<image>.
#   input:
#     selector:
#       - type: dockerfile
package user.dockerfile.trusted_registry

import rego.v1

registry := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"

deny contains res if {
	some stage in input.Stages
	some instruction in stage.Commands
	instruction.Cmd == "from"
	image := instruction.Value[0]
	not startswith(image, registry)
	res := result.new(sprintf("base image %s is not from %s", [image, registry]), instruction)
}
