"""Dedicated IP pools and addresses: pools (standard or managed), moving leased addresses between standard
pools, warm-up. A new account leases no dedicated IPs (as on SES); ``POST /_sesflow/dedicated-ips`` leases
some, and a managed pool gets its own addresses when it is created, as SES provisions them.
"""

from __future__ import annotations

import hashlib
import ipaddress

from sesflow.emulator.call import Call, Handler, invalid, paged
from sesflow.emulator.configsets import DEDICATED_POOLS_TABLE
from sesflow.emulator.region import Record, Region
from sesflow.emulator.tables import Table, create_op, delete_op, get_op

POOLS = Table(DEDICATED_POOLS_TABLE, ("PoolName",), "Pool", arn="dedicated-ip-pool/{PoolName}", quota=50)
ADDRESSES = Table("dedicated_ips", ("Ip",), "Dedicated IP")
MANAGED_ADDRESSES = 2


def lease(region: Region, ips: list[str], pool: str | None, now: float) -> list[str]:
    """Lease dedicated IPs to the account (the test hook): new ones start warming up."""
    leased = []
    for text in ips:
        ip = str(ipaddress.ip_address(text))
        record: Record = {
            "Ip": ip,
            "WarmupStatus": "IN_PROGRESS",
            "WarmupPercentage": 0,
            "CreatedTimestamp": now,
        }
        if pool:
            record["PoolName"] = pool
        region.save(ADDRESSES.name, (ip,), record)
        leased.append(ip)
    return leased


def _managed_ips(call: Call, pool: str) -> list[str]:
    digest = hashlib.sha256(f"{call.region.scope}/{pool}".encode()).digest()
    return [f"198.51.100.{digest[i] % 250 + 2}" for i in range(MANAGED_ADDRESSES)]


def _check_pool(call: Call, record: Record) -> None:
    record.setdefault("ScalingMode", "STANDARD")


def create_pool(call: Call) -> Record:
    """CreateDedicatedIpPool: a managed pool comes with its provisioned addresses."""
    answer = create_op(POOLS, _check_pool)(call) or {}
    name = call.params["PoolName"]
    if call.params.get("ScalingMode") == "MANAGED":
        for ip in _managed_ips(call, name):
            call.region.save(ADDRESSES.name, (ip,), {"Ip": ip, "WarmupStatus": "NOT_APPLICABLE",
                                                      "WarmupPercentage": 100, "PoolName": name})  # fmt: skip
    return answer


def delete_pool(call: Call) -> Record:
    """DeleteDedicatedIpPool: a standard pool's addresses stay leased, in no pool; a managed pool's go."""
    name = call.params["PoolName"]
    record = POOLS.require(call, (name,))
    for key, ip in list(ADDRESSES.records(call)):
        if ip.get("PoolName") == name:
            if record.get("ScalingMode") == "MANAGED":
                call.region.remove(ADDRESSES.name, key)
            else:
                call.region.save(ADDRESSES.name, key, {k: v for k, v in ip.items() if k != "PoolName"})
    return delete_op(POOLS)(call) or {}


def put_scaling(call: Call) -> Record:
    """PutDedicatedIpPoolScalingAttributes: STANDARD -> MANAGED only."""
    key = (call.params["PoolName"],)
    record = POOLS.require(call, key)
    wanted = call.params["ScalingMode"]
    if record.get("ScalingMode") == "MANAGED" and wanted == "STANDARD":
        raise invalid(call, f"Pool {key[0]} is managed and cannot be changed back to standard.")
    POOLS.replace(call, key, {**record, "ScalingMode": wanted})
    return {}


def _ip(call: Call) -> Record:
    return ADDRESSES.require(call, (call.params["Ip"],))


def _shown(record: Record) -> Record:
    return {k: record[k] for k in ("Ip", "WarmupStatus", "WarmupPercentage", "PoolName") if k in record}


def get_ip(call: Call) -> Record:
    """GetDedicatedIp."""
    return {"DedicatedIp": _shown(_ip(call))}


def get_ips(call: Call) -> Record:
    """GetDedicatedIps (of one pool when PoolName is given)."""
    pool = call.params.get("PoolName")
    if pool:
        POOLS.require(call, (pool,))
    items = [_shown(r) for _, r in ADDRESSES.records(call) if pool in (None, r.get("PoolName"))]
    return paged(call, "DedicatedIps", items)


def put_in_pool(call: Call) -> Record:
    """PutDedicatedIpInPool: a leased address into a standard pool."""
    record = _ip(call)
    pool = POOLS.require(call, (call.params["DestinationPoolName"],))
    if pool.get("ScalingMode") == "MANAGED":
        raise invalid(call, f"Pool {pool['PoolName']} is managed: SES places its addresses itself.")
    ADDRESSES.replace(call, (record["Ip"],), {**record, "PoolName": pool["PoolName"]})
    return {}


def put_warmup(call: Call) -> Record:
    """PutDedicatedIpWarmupAttributes: 100 % means warmed up (DONE)."""
    record = _ip(call)
    percentage = call.params["WarmupPercentage"]
    if not 0 <= percentage <= 100:
        raise invalid(call, "WarmupPercentage must be 0..100.")
    status = "DONE" if percentage >= 100 else "IN_PROGRESS"
    ADDRESSES.replace(
        call, (record["Ip"],), {**record, "WarmupPercentage": percentage, "WarmupStatus": status}
    )
    return {}


def list_pools(call: Call) -> Record:
    """ListDedicatedIpPools."""
    return paged(call, "DedicatedIpPools", [k[0] for k, _ in POOLS.records(call)])


def _pool_view(call: Call, key: tuple[str, ...], record: Record) -> Record:
    return {"PoolName": key[0], "ScalingMode": record.get("ScalingMode", "STANDARD")}


def _get_pool(call: Call) -> Record:
    answer = get_op(POOLS, _pool_view)(call) or {}
    answer.pop("Tags", None)
    return {"DedicatedIpPool": answer}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("sesv2", "CreateDedicatedIpPool"): create_pool,
    ("sesv2", "GetDedicatedIpPool"): _get_pool,
    ("sesv2", "ListDedicatedIpPools"): list_pools,
    ("sesv2", "DeleteDedicatedIpPool"): delete_pool,
    ("sesv2", "PutDedicatedIpPoolScalingAttributes"): put_scaling,
    ("sesv2", "GetDedicatedIp"): get_ip,
    ("sesv2", "GetDedicatedIps"): get_ips,
    ("sesv2", "PutDedicatedIpInPool"): put_in_pool,
    ("sesv2", "PutDedicatedIpWarmupAttributes"): put_warmup,
}
