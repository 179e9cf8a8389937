"""`geokv topology ...`: create, change and inspect a cluster through its regions' admin services.

Owns the verbs, their arguments, their checks before anything is sent, and
their exit codes: 0 done, 1 a region unreachable or refusing (or unhealthy),
2 an invalid request (bad file, unknown or duplicate region, no confirmation,
incomplete or unusable TLS settings).
Must not know how a region stores or applies the topology.
"""

from __future__ import annotations

import os

# gRPC's core logs every failed TLS handshake on stderr at INFO, next to the
# one-line error the CLI prints; it reads the level once, when grpc loads.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from topology import render
from topology.client import AdminClient, Refused, Unreachable
from topology.model import Cluster, Region, TopologyError, from_terraform
from topology.tls import SETTINGS, CredentialsError, from_settings

TLS_HELP = {
    "cert": "client certificate signed by the cluster's CA",
    "key": "key of that certificate",
    "ca": "CA the regions' certificates are checked against",
}


class Invalid(Exception):
    """The request itself is wrong (exit 2)."""


def main(args: list[str]) -> int:
    parser = _parser()
    opts = parser.parse_args(args)
    try:
        flags = {setting: getattr(opts, f"tls_{setting}") for setting, _, _ in SETTINGS}
        opts.client = AdminClient(from_settings(flags, os.environ))
        result: int = opts.run(opts)
        return result
    except (Invalid, TopologyError, CredentialsError) as exc:
        print(f"geokv topology: {exc}", file=sys.stderr)
        return 2
    except (Unreachable, Refused) as exc:
        print(f"geokv topology: {exc}", file=sys.stderr)
        return 1


def _out(opts: argparse.Namespace, data: object, text: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if opts.json else text)


# -- create ----------------------------------------------------------------------------


def parse_region(text: str) -> Region:
    """`id=eu,resp=HOST:PORT,replication=HOST:PORT[,admin=HOST:PORT][,name=NAME]`."""
    fields: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep:
            raise Invalid(f"--region {text!r}: expected key=value pairs separated by commas")
        fields[key.strip()] = value.strip()
    names = {"resp": "resp_address", "replication": "replication_address", "admin": "admin_address"}
    unknown = set(fields) - {"id", "name", *names}
    if unknown:
        raise Invalid(f"--region {text!r}: unknown key(s) {', '.join(sorted(unknown))}")
    return Region.from_json({names.get(k, k): v for k, v in fields.items()}, 0)


def _cluster_from(opts: argparse.Namespace) -> Cluster:
    if opts.from_terraform or opts.file:
        if opts.region or opts.cluster_id:
            raise Invalid("give regions either as flags or in a file, not both")
        path = Path(opts.from_terraform or opts.file)
        try:
            text = path.read_text()
        except OSError as exc:
            raise Invalid(f"cannot read {path}: {exc.strerror}") from None
        try:
            return from_terraform(text) if opts.from_terraform else Cluster.loads(text)
        except TopologyError as exc:
            raise Invalid(f"{path}: {exc}") from None
    if not opts.cluster_id or not opts.region:
        raise Invalid(
            "create needs --from-terraform FILE, --file FILE, or --cluster-id and --region"
        )
    return Cluster(opts.cluster_id, tuple(parse_region(r) for r in opts.region), name=opts.name)


def create(opts: argparse.Namespace) -> int:
    cluster = _cluster_from(opts)
    if opts.dry_run:
        _out(opts, cluster.to_json(), render.topology_text(cluster))
        return 0
    # Every region is told directly; each also pushes to the others it can reach.
    results: dict[str, str] = {}
    for region in cluster.regions:
        try:
            reply = opts.client.put_topology(region.admin, cluster, region.id)
            results[region.id] = "stored" if reply.accepted else f"refused: {reply.reason}"
        except (Unreachable, Refused) as exc:
            results[region.id] = f"not reached: {exc}"
    _out(
        opts,
        {"topology": cluster.to_json(), "regions": results},
        render.topology_text(cluster)
        + "\n\n"
        + "\n".join(f"{rid}: {result}" for rid, result in results.items()),
    )
    return 0 if any(r == "stored" for r in results.values()) else 1


# -- membership -------------------------------------------------------------------------


def _publish(opts: argparse.Namespace, cluster: Cluster, extra: str = "") -> int:
    reply = opts.client.put_topology(opts.node, cluster)
    if not reply.accepted:
        raise Refused(f"{opts.node} refused epoch {cluster.epoch}: {reply.reason}")
    text = render.topology_text(cluster) + (f"\n{extra}" if extra else "")
    _out(opts, cluster.to_json(), text)
    return 0


def add_region(opts: argparse.Namespace) -> int:
    region = Region.from_json(
        {"id": opts.id, "name": opts.name, "resp_address": opts.resp,
         "replication_address": opts.replication, "admin_address": opts.admin}, 0,
    )  # fmt: skip
    cluster = opts.client.get_topology(opts.node).with_region(region)
    return _publish(opts, cluster)


def remove_region(opts: argparse.Namespace) -> int:
    current = opts.client.get_topology(opts.node)
    region = current.region(opts.region)
    if region.admin == opts.node:
        raise Invalid("--node must be another region than the one removed")
    try:
        gone = opts.client.region_status(region.admin, region.id)
    except Unreachable as exc:
        if not opts.force:
            raise Refused(
                f"region {region.id!r} is unreachable ({exc}); its records that reached no "
                "other region would be lost: add --force to remove it anyway"
            ) from None
        gone = None
    if gone is not None and not opts.force:
        _check_drained(opts.client, current, region.id, gone.applied.get(region.id, 0))
    cluster = current.without_region(region.id)
    code = _publish(opts, cluster)
    if gone is not None:
        # The removed region stops subscribing once it holds the new epoch.
        try:
            opts.client.put_topology(region.admin, cluster, region.id)
        except (Unreachable, Refused) as exc:
            print(f"geokv topology: note: could not tell {region.id}: {exc}", file=sys.stderr)
    return code


def _check_drained(client: AdminClient, cluster: Cluster, region_id: str, written: int) -> None:
    """Refuse (without --force) while another member lacks some of the region's records."""
    for other in cluster.regions:
        if other.id == region_id:
            continue
        have = client.region_status(other.admin, other.id).applied.get(region_id, 0)
        if have < written:
            raise Refused(
                f"region {other.id!r} has applied {have} of {region_id!r}'s {written} records: "
                "wait for it to catch up, or add --force"
            )


def purge_region(opts: argparse.Namespace) -> int:
    cluster = opts.client.get_topology(opts.node).purged(opts.region)
    return _publish(opts, cluster, f"region {opts.region} purged (its id stays retired)")


# -- inspection --------------------------------------------------------------------------


def list_regions(opts: argparse.Namespace) -> int:
    cluster = opts.client.get_topology(opts.node)
    _out(opts, cluster.to_json(), render.topology_text(cluster))
    return 0


def status(opts: argparse.Namespace) -> int:
    view = opts.client.cluster_view(opts.client.get_topology(opts.node))
    _out(opts, render.status_json(view), render.status_text(view))
    return 0


def health(opts: argparse.Namespace) -> int:
    cluster = opts.client.get_topology(opts.node)
    results: dict[str, dict[str, object]] = {}
    for region in cluster.regions:
        try:
            reply = opts.client.health(region.admin, region.id)
            results[region.id] = {"ok": reply.ok, "detail": reply.detail}
        except (Unreachable, Refused) as exc:
            results[region.id] = {"ok": False, "detail": str(exc)}
    rows = [(rid, "ok" if r["ok"] else "FAIL", r["detail"]) for rid, r in results.items()]
    _out(opts, results, render.table(("REGION", "HEALTH", "DETAIL"), rows))
    return 0 if all(r["ok"] for r in results.values()) else 1


def flush(opts: argparse.Namespace) -> int:
    cluster = opts.client.get_topology(opts.node)
    if not opts.yes:
        if not sys.stdin.isatty():
            raise Invalid("flush deletes every key in every region: confirm with --yes")
        answer = input(f"Delete every key in all regions of {cluster.cluster_id}? Type its id: ")
        if answer.strip() != cluster.cluster_id:
            raise Invalid("not confirmed: nothing flushed")
    reply = opts.client.flush(opts.node)
    applied = dict(reply.applied)
    _out(opts, {"flushed": True, "version_vector": applied},
         f"flushed; the flush replicates to every region ({render.vv_text(applied)})")  # fmt: skip
    return 0


# -- arguments ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geokv topology", description=__doc__.split("\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, run: Callable[[argparse.Namespace], int], help_: str, node: bool = True
             ) -> argparse.ArgumentParser:  # fmt: skip
        p = verbs.add_parser(name, help=help_)
        p.set_defaults(run=run)
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        tls = p.add_argument_group(
            "TLS", "for regions with replication TLS on: all three, each defaulting to its variable"
        )
        for setting, flag, variable in SETTINGS:
            tls.add_argument(flag, dest=f"tls_{setting}", metavar="FILE",
                             help=f"PEM {TLS_HELP[setting]} (${variable})")  # fmt: skip
        if node:
            p.add_argument("--node", required=True, metavar="HOST:PORT",
                           help="admin address of any region (its replication port)")  # fmt: skip
        return p

    p = verb("create", create, "create the cluster's topology on its regions", node=False)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--from-terraform", metavar="FILE", help="`terraform output -json` file")
    source.add_argument("--file", metavar="FILE", help="topology JSON file")
    p.add_argument("--cluster-id")
    p.add_argument("--name", default="")
    p.add_argument("--region", action="append", default=[],
                   metavar="id=ID,resp=H:P,replication=H:P[,admin=H:P][,name=N]")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="validate and print, send nothing")

    p = verb("add-region", add_region, "add a region (it then syncs from its peers)")
    p.add_argument("--id", required=True)
    p.add_argument("--resp", required=True, metavar="HOST:PORT")
    p.add_argument("--replication", required=True, metavar="HOST:PORT")
    p.add_argument("--admin", default="", metavar="HOST:PORT")
    p.add_argument("--name", default="")

    p = verb("remove-region", remove_region, "remove a region, even when it is down")
    p.add_argument("region")
    p.add_argument("--force", action="store_true",
                   help="remove even if it is unreachable or others lack some of its records")  # fmt: skip

    p = verb("purge-region", purge_region, "forget a removed region (its id stays retired)")
    p.add_argument("region")

    verb("list", list_regions, "list the regions")
    verb("status", status, "every region's state, version vector, lag and digest")
    verb("health", health, "is every region serving")
    p = verb("flush", flush, "FLUSHALL in every region (replicated)")
    p.add_argument("--yes", action="store_true", help="confirm without a prompt")
    return parser
