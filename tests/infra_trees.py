"""Small infrastructure trees for the iac/actions tests: the classic mistakes and clean twins."""

from __future__ import annotations

from pathlib import Path

ROOT_DOCKERFILE = """\
FROM ubuntu:latest
RUN apt-get update && apt-get install -y curl
CMD ["curl", "--version"]
"""

HARDENED_DOCKERFILE = """\
FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000
RUN adduser -D -u 10001 app
USER 10001
HEALTHCHECK CMD ["true"]
CMD ["true"]
"""

TERRAFORM = """\
resource "aws_s3_bucket" "public" {
  bucket = "public-data"
  acl    = "public-read"
}

resource "aws_security_group" "ssh" {
  name        = "ssh"
  description = "ssh"
  ingress {
    description = "ssh from anywhere"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""

PRIVILEGED_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
          securityContext:
            privileged: true
"""

BAD_WORKFLOW = """\
name: pr
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@main
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""

HARDENED_WORKFLOW = """\
name: ci
on:
  pull_request:
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
