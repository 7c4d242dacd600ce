# Deliberately vulnerable: a public S3 bucket named outside the team prefix (our own Rego check
# USER-001 in policies/) and SSH open to the whole internet.
resource "aws_s3_bucket" "uploads" {
  bucket = "uploads"
  acl    = "public-read"
}

resource "aws_security_group" "ssh" {
  name        = "shop-ssh"
  description = "SSH access"

  ingress {
    description = "SSH from anywhere"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
