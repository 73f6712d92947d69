# An AMI that runs driftguard: Docker, a Java runtime, the agent package and its config.
# No application code: each host pulls its service's image by the digest pinned in SSM.
# Build: see docs/install.md (packer init packer/ && packer build -var package=... packer/).

variable "region" {
  type        = string
  description = "AWS region to build the AMI in."
  default     = "us-east-1"
}

variable "base" {
  type        = string
  description = "Base distribution: \"debian\" (Debian 12) or \"al2023\" (Amazon Linux 2023)."
  default     = "debian"
  validation {
    condition     = contains(["debian", "al2023"], var.base)
    error_message = "The base must be \"debian\" or \"al2023\"."
  }
}

variable "base_ami_filters" {
  type        = map(map(string))
  description = "source_ami_filter name pattern and owner per base; the newest match is used."
  default = {
    debian = { name = "debian-12-amd64-*", owner = "136693071363" }
    al2023 = { name = "al2023-ami-2023.*-x86_64", owner = "137112412989" }
  }
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

variable "package" {
  type        = string
  description = "Path of the driftguard package built by `mvn package`: a .deb for debian, an .rpm for al2023."
}

variable "config" {
  type        = string
  description = "The site's settings, baked in as the drop-in /etc/driftguard/conf.d/50-site.yaml. The default names the service after the instance's Name tag."
  default     = "packer/files/50-site.yaml"
}

variable "ami_name_prefix" {
  type    = string
  default = "driftguard"
}

variable "subnet_id" {
  type        = string
  description = "Subnet for the build instance; empty uses the default VPC."
  default     = ""
}

locals {
  timestamp  = regex_replace(timestamp(), "[- TZ:]", "")
  ssh_user   = var.base == "debian" ? "admin" : "ec2-user"
  remote_pkg = var.base == "debian" ? "/tmp/driftguard.deb" : "/tmp/driftguard.rpm"
}

source "amazon-ebs" "driftguard" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id == "" ? null : var.subnet_id
  ssh_username  = local.ssh_user
  ami_name      = "${var.ami_name_prefix}-${var.base}-${local.timestamp}"

  source_ami_filter {
    filters = {
      name                = var.base_ami_filters[var.base].name
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = [var.base_ami_filters[var.base].owner]
    most_recent = true
  }

  # The build instance answers IMDSv2 only, with hop limit 1, as the instances launched from the
  # AMI will (their launch template sets the same, docs/install.md): nothing in the build can
  # depend on IMDSv1. Needs Packer 1.7+ with the amazon plugin; Debian's packer 1.6.6 does not
  # know the block, so test/packaging/validate-packer validates the template without it there
  # and checks these settings by text (BEGIN/END lines mark the block; keep them).
  # BEGIN metadata_options
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "enabled"
  }
  # END metadata_options

  tags = {
    Name       = "${var.ami_name_prefix}-${var.base}"
    driftguard = "agent"
    base       = var.base
  }
}

build {
  sources = ["source.amazon-ebs.driftguard"]

  provisioner "file" {
    source      = var.package
    destination = local.remote_pkg
  }

  provisioner "file" {
    source      = var.config
    destination = "/tmp/driftguard-site.yaml"
  }

  provisioner "shell" {
    script          = "packer/scripts/provision.sh"
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "DRIFTGUARD_BASE=${var.base}",
      "DRIFTGUARD_PACKAGE=${local.remote_pkg}",
    ]
  }

  # Last: remove the build instance's identity, state and secrets before the snapshot.
  provisioner "shell" {
    script          = "packer/scripts/cleanup.sh"
    execute_command = "chmod +x {{ .Path }}; sudo env {{ .Vars }} {{ .Path }}"
  }
}
