# Builds the value of the geokv_topology output: the exact document that
# `geokv topology create --from-terraform FILE` reads from `terraform output
# -json`. Kept free of providers so the document's shape can be produced and
# checked by `terraform apply` without cloud credentials (tests/terraform).
locals {
  topology = {
    cluster_id = var.cluster_id
    name       = coalesce(var.name, var.cluster_id)
    # Sorted by region id so the document is stable between applies.
    regions = [
      for id in sort(keys(var.regions)) : {
        id                  = id
        name                = var.regions[id].name
        resp_address        = var.regions[id].resp_address
        replication_address = var.regions[id].replication_address
        # The admin service listens on the replication port.
        admin_address = var.regions[id].replication_address
        tls           = var.regions[id].tls
      }
    ]
  }
}
