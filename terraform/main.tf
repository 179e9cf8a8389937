# A geokv cluster across AWS regions: one region module per entry of
# var.regions, a full mesh of inter-region VPC peerings between them (see
# README.md for why peering rather than Transit Gateway), and the topology
# document for `geokv topology create --from-terraform`.

# Each region's address plan is known before anything exists, so every node's
# config can list its peers' replication addresses without a cycle.
module "addressing" {
  source   = "./modules/addressing"
  for_each = var.regions
  vpc_cidr = each.value.vpc_cidr
}

locals {
  replication_addresses = {
    for id, plan in module.addressing : id => "${plan.node_ip}:${var.replication_port}"
  }
  # Every unordered pair of regions once, keyed "a--b" with a before b.
  region_ids = sort(keys(var.regions))
  region_pairs = merge([
    for i, a in local.region_ids : {
      for b in slice(local.region_ids, i + 1, length(local.region_ids)) :
      "${a}--${b}" => { requester = a, accepter = b }
    }
  ]...)
}

module "region" {
  source   = "./modules/region"
  for_each = var.regions

  cluster_id           = var.cluster_id
  region_id            = each.key
  aws_region           = each.value.aws_region
  vpc_cidr             = each.value.vpc_cidr
  availability_zone    = each.value.availability_zone
  ami_id               = each.value.ami_id
  instance_type        = each.value.instance_type
  data_volume_size_gb  = each.value.data_volume_size_gb
  client_cidrs         = each.value.client_cidrs
  admin_cidrs          = each.value.admin_cidrs
  peers                = { for id, address in local.replication_addresses : id => address if id != each.key }
  resp_port            = var.resp_port
  replication_port     = var.replication_port
  auth_secret_arn      = var.auth_secret_arn
  tls                  = coalesce(each.value.tls, var.tls)
  tls_auth_clients     = var.tls_auth_clients
  kms_key_arn          = each.value.kms_key_arn
  secrets_kms_key_arns = var.secrets_kms_key_arns
  geokv_pip_spec       = var.geokv_pip_spec
  pip_index_url        = var.pip_index_url
  tags                 = var.tags
}

module "peering" {
  source   = "./modules/peering"
  for_each = local.region_pairs

  name = "geokv-${var.cluster_id}-${each.value.requester}-${each.value.accepter}"
  requester = {
    aws_region     = module.region[each.value.requester].aws_region
    vpc_id         = module.region[each.value.requester].vpc_id
    vpc_cidr       = module.region[each.value.requester].vpc_cidr
    route_table_id = module.region[each.value.requester].private_route_table_id
  }
  accepter = {
    aws_region     = module.region[each.value.accepter].aws_region
    vpc_id         = module.region[each.value.accepter].vpc_id
    vpc_cidr       = module.region[each.value.accepter].vpc_cidr
    route_table_id = module.region[each.value.accepter].private_route_table_id
  }
  tags = var.tags
}

module "topology" {
  source     = "./modules/topology"
  cluster_id = var.cluster_id
  name       = var.name
  regions = {
    for id, r in module.region : id => {
      name                = coalesce(var.regions[id].name, id)
      resp_address        = r.resp_endpoint
      replication_address = r.replication_endpoint
      tls                 = r.tls
    }
  }
}
