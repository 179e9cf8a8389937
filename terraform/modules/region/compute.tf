# The geokv node: one instance with a pinned private IP, its encrypted data
# volume (which outlives the instance) and its security group.

locals {
  runtime_dir = "/run/geokv" # systemd RuntimeDirectory=geokv (tmpfs)
  peer_hosts  = { for id, address in var.peers : id => split(":", address)[0] }
  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    cluster_id         = var.cluster_id
    region_id          = var.region_id
    node_ip            = module.addressing.node_ip
    resp_port          = var.resp_port
    replication_port   = var.replication_port
    peers              = join(" ", [for id in sort(keys(var.peers)) : "${id}=${var.peers[id]}"])
    appendfsync        = var.appendfsync
    tls_auth_clients   = var.tls_auth_clients
    tls_cert_arn       = var.tls.cert_arn
    tls_key_arn        = var.tls.key_arn
    tls_ca_arn         = var.tls.ca_arn
    auth_secret_arn    = var.auth_secret_arn
    conf_dir           = "/etc/geokv"
    runtime_dir        = local.runtime_dir
    data_dir           = "/var/lib/geokv"
    venv_dir           = "/opt/geokv"
    data_volume_serial = replace(aws_ebs_volume.data.id, "-", "")
    geokv_pip_spec     = var.geokv_pip_spec
    pip_index_args     = var.pip_index_url == null ? "" : "--index-url ${var.pip_index_url}"
  })
}

resource "aws_security_group" "node" {
  region      = var.aws_region
  name_prefix = "${local.name}-"
  description = "geokv node ${var.region_id}: RESP from client CIDRs, replication from peer regions"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = local.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "resp" {
  for_each          = toset(var.client_cidrs)
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "RESP over TLS from client network ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.resp_port
  to_port           = var.resp_port
  cidr_ipv4         = each.key
  tags              = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "replication_peer" {
  for_each          = local.peer_hosts
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "Replication from peer region ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.replication_port
  to_port           = var.replication_port
  cidr_ipv4         = "${each.value}/32"
  tags              = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "replication_admin" {
  for_each          = toset(var.admin_cidrs)
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "geokv topology/admin commands from ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.replication_port
  to_port           = var.replication_port
  cidr_ipv4         = each.key
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "replication_peer" {
  for_each          = local.peer_hosts
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "Replication to peer region ${each.key}"
  ip_protocol       = "tcp"
  from_port         = var.replication_port
  to_port           = var.replication_port
  cidr_ipv4         = "${each.value}/32"
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each          = toset(var.egress_https_cidrs)
  region            = var.aws_region
  security_group_id = aws_security_group.node.id
  description       = "HTTPS to packages, Secrets Manager, SSM and CloudWatch"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.key
  tags              = local.tags
}

resource "aws_ebs_volume" "data" {
  region            = var.aws_region
  availability_zone = local.availability_zone
  type              = "gp3"
  size              = var.data_volume_size_gb
  iops              = var.data_volume_iops
  throughput        = var.data_volume_throughput
  encrypted         = true
  kms_key_id        = var.kms_key_arn
  final_snapshot    = true
  tags              = merge(local.tags, { Name = "${local.name}-data" })
}

resource "aws_instance" "node" {
  region                      = var.aws_region
  ami                         = var.ami_id
  instance_type               = var.instance_type
  subnet_id                   = aws_subnet.node.id
  private_ip                  = module.addressing.node_ip
  vpc_security_group_ids      = [aws_security_group.node.id]
  iam_instance_profile        = aws_iam_instance_profile.node.name
  associate_public_ip_address = false
  monitoring                  = true
  ebs_optimized               = true
  user_data                   = local.user_data
  # A changed configuration boots a fresh instance; the data volume (and so
  # the binlog) is re-attached to it.
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  tags        = merge(local.tags, { Name = local.name })
  volume_tags = merge(local.tags, { Name = "${local.name}-root" })

  depends_on = [aws_route.private_nat, aws_iam_role_policy.node_secrets]
}

resource "aws_volume_attachment" "data" {
  region                         = var.aws_region
  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.data.id
  instance_id                    = aws_instance.node.id
  stop_instance_before_detaching = true
}
