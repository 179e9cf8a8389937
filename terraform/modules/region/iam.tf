# IAM is global (no `region` argument): the node's role may read exactly the
# secrets and parameters named in its variables, nothing else.

locals {
  secret_refs    = distinct([var.auth_secret_arn, var.tls.cert_arn, var.tls.key_arn, var.tls.ca_arn])
  secret_arns    = [for a in local.secret_refs : a if can(regex("^arn:aws[a-z-]*:secretsmanager:", a))]
  parameter_arns = [for a in local.secret_refs : a if can(regex("^arn:aws[a-z-]*:ssm:", a))]
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "geokv-node-"
  description        = "geokv node ${var.region_id} of cluster ${var.cluster_id}: reads its password and TLS material"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "node_secrets" {
  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [local.secret_arns] : []
    content {
      sid       = "ReadGeokvSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.parameter_arns) > 0 ? [local.parameter_arns] : []
    content {
      sid       = "ReadGeokvParameters"
      actions   = ["ssm:GetParameter"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(var.secrets_kms_key_arns) > 0 ? [var.secrets_kms_key_arns] : []
    content {
      sid       = "DecryptGeokvSecrets"
      actions   = ["kms:Decrypt"]
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "node_secrets" {
  name   = "geokv-secrets"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node_secrets.json
}

resource "aws_iam_instance_profile" "node" {
  name_prefix = "geokv-node-"
  role        = aws_iam_role.node.name
  tags        = local.tags
}

# VPC flow logs deliver to CloudWatch Logs through this role.
data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name_prefix        = "geokv-flow-logs-"
  description        = "VPC flow logs of geokv region ${var.region_id} of cluster ${var.cluster_id}"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
  tags               = local.tags
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = ["${aws_cloudwatch_log_group.flow.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "geokv-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}
