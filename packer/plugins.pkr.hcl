# Needs Packer 1.7+ (`packer init packer/` installs the plugin). Kept in its own file because
# Debian 12's packer 1.6.6 has the amazon builder built in and rejects this block;
# test/packaging/validate-packer validates the folder without it.
packer {
  required_version = ">= 1.7.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.2.0"
    }
  }
}
