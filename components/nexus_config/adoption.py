"""Taking over what already exists in Nexus (stack key `adoptExisting`): the inputs every adoptable resource
carries, the plan the preflight checks (`ExistingObjects`, preflight.py) and every message. Pure: no I/O.

Why in the provider's create: the engine's import cannot reach a dynamic provider (pulumi/pulumi#16175, open: the
SDK's server fails on `__provider` before any provider code runs), so the flag is an input, and create takes over
the existing object instead of refusing it (the workaround Pulumi's maintainers point to in #7534).

The rules (docs/adopting.md):
- adopting never deletes, re-creates or renames, and never asks Nexus for what it cannot change in place: what an
  adopted object keeps as found (a repository's blob store, a blob store's path) is taken from Nexus, not the
  stack; everything else the stack declares is converged with one PUT in the same `pulumi up`;
- an object of another kind under the name is refused, and so are existing users and roles (their passwords are
  not the stack's); the preflight finds all of it before anything is written;
- an adopted object is marked `adopted: true`; destroy (or dropping it from the program) leaves it and its content
  in Nexus unless `retainData` is false; a replace (delete + create) of it is refused.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from components.nexus_config.fields import Field, boolean

ADOPT_KEY = "adoptExisting"
RETAIN_KEY = "retainData"
ADOPTED = "adopted"                       # output: True when create took the object over instead of creating it
ADOPT_FIELDS = (
    Field("adopt_existing", boolean, False),      # take over an object that exists under the name
    Field("retain_adopted", boolean, True),       # leave an adopted object in Nexus on delete (retainData)
)
LOCAL_KEYS = frozenset({"nexus_url", "adopt_existing", "retain_adopted"})   # ours, never compared with Nexus

# Preflight collections: what each wanted object is, for messages.
REPOSITORY, BLOB_STORE, CLEANUP_POLICY, USER, ROLE = "repository", "blob store", "cleanup policy", "user", "role"
ADOPTABLE = (REPOSITORY, BLOB_STORE, CLEANUP_POLICY)


def set_up_hint() -> str:
    return f"pulumi config set {ADOPT_KEY} true"


def already_exists(kind: str, name: str) -> str:
    """Without adoptExisting: the object is there and the stack did not make it."""
    return (f"{kind} {name!r} already exists in Nexus (names ignore case) and is not managed by this stack. "
            f"To take it over, set the stack key `{ADOPT_KEY}` ({set_up_hint()}): it is then kept with its content "
            f"(never deleted, re-created or renamed; a repository keeps its blob store), the stack's settings are "
            f"applied to it in place, and `pulumi destroy` leaves it in Nexus while `{RETAIN_KEY}` is true. Or "
            f"delete it in Nexus, or choose another name. Nothing was changed")


def wrong_kind(name: str, found: str, wanted: str, key: Optional[str]) -> str:
    rename = f"Choose another name (stack key `{key}`)" if key else "Choose another name"
    return (f"{name!r} exists in Nexus as a {found}; the stack wants a {wanted} of that name. It cannot be adopted: "
            f"Nexus cannot change an object's format or type in place, and the stack never deletes it. "
            f"{rename} or remove it in Nexus yourself. Nothing was changed")


def never_adopted(kind: str, name: str, key: Optional[str]) -> str:
    listed = f" (listed in `{key}`)" if key else ""
    way = (f"Use another name in `{key}`, or delete {name!r} in Nexus" if key
           else f"Delete or rename {name!r} in Nexus (the stack's {kind} ids are fixed)")
    return (f"{kind} {name!r}{listed} already exists in Nexus. Users and roles are never adopted, not even with "
            f"`{ADOPT_KEY}`: the stack generates the users' passwords and hands them out, and an existing user's "
            f"password is not the stack's. {way}. Nothing was changed")


def replace_refused(kind: str, name: str, keys: Iterable[str]) -> str:
    return (f"{kind} {name!r} was adopted (it existed before this stack) and changing {', '.join(sorted(keys))} "
            f"would replace it: delete it with its content and create a new one. Refused. Put the old value back; "
            f"to rename it, rename it in Nexus' UI and set the new name, or remove it from the stack first "
            f"(it stays in Nexus while `{RETAIN_KEY}` is true)")


def kept_on_delete(kind: str, name: str) -> str:
    return (f"{kind} {name!r} was adopted: left in Nexus with its content (stack key `{RETAIN_KEY}` is true; set it "
            f"to false and run `pulumi up` before destroying to delete adopted objects too)")


def adopting(kind: str, name: str, changed: list[str]) -> str:
    what = f"applying {', '.join(changed)} in place" if changed else "already as the stack declares it"
    return f"adopting existing {kind} {name!r}: {what}"


def on_destroy(adopted: Optional[bool], retain: bool) -> str:
    """What `pulumi destroy` does with an object, for the stack outputs."""
    if adopted and retain:
        return f"kept in Nexus (adopted; {RETAIN_KEY} is true)"
    return "deleted by pulumi destroy"


# ---- the preflight ----------------------------------------------------------------------------------------------

def wanted_object(collection: str, name: str, key: Optional[str], *, fmt: Optional[str] = None,
                  type_: Optional[str] = None) -> dict:
    """One object the stack will create or adopt, as the preflight's input lists it."""
    return {"collection": collection, "name": name, "key": key, "format": fmt, "type": type_}


def describe(collection: str, fmt: Optional[str], type_: Optional[str]) -> str:
    if collection == REPOSITORY:
        return f"{fmt} {type_} repository"
    if collection == BLOB_STORE:
        return f"{(type_ or 'file').lower()} blob store"
    if collection == CLEANUP_POLICY and fmt:
        return f"{fmt} cleanup policy"
    return collection


def problems(wanted: Iterable[Mapping[str, Any]], found: Mapping[str, Mapping[str, Mapping[str, Any]]],
             adopt: bool) -> list[str]:
    """Why the run must stop before any write, one message per object: `found` maps collection -> lower-cased name
    -> {name, format, type} as Nexus lists it (blob stores: type File/S3; cleanup policies: format)."""
    out = []
    for item in wanted:
        collection, name = item["collection"], item["name"]
        there = (found.get(collection) or {}).get(name.lower())
        if there is None:
            continue
        if collection not in ADOPTABLE:
            out.append(never_adopted(collection, there.get("name") or name, item.get("key")))
            continue
        mismatch = _mismatch(collection, item, there)
        if mismatch:
            out.append(wrong_kind(there.get("name") or name, mismatch, describe(collection, item.get("format"),
                                                                               item.get("type")), item.get("key")))
        elif not adopt:
            out.append(already_exists(describe(collection, item.get("format"), item.get("type")),
                                      there.get("name") or name))
    return out


def _mismatch(collection: str, item: Mapping[str, Any], there: Mapping[str, Any]) -> Optional[str]:
    """What the existing object is, when it is not what the stack wants; None when it can be adopted."""
    if collection == REPOSITORY:
        same = ((there.get("format") or "").lower(), (there.get("type") or "").lower()) == \
            (item.get("format"), item.get("type"))
        return None if same else describe(REPOSITORY, there.get("format"), there.get("type"))
    if collection == BLOB_STORE:
        kind = (there.get("type") or "File").lower()
        return None if kind == (item.get("type") or "file").lower() else describe(BLOB_STORE, None, kind)
    if collection == CLEANUP_POLICY and there.get("format") and item.get("format") and \
            there["format"].lower() not in (item["format"].lower(), "all"):
        return describe(CLEANUP_POLICY, there["format"], None)
    return None


def unchecked(wanted: Iterable[Mapping[str, Any]], checked: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The objects not approved by an earlier run: the others were created or adopted by this stack since."""
    seen = {(c.get("collection"), str(c.get("name", "")).lower()) for c in checked}
    return [dict(w) for w in wanted if (w["collection"], w["name"].lower()) not in seen]


def found_adoptable(wanted: Iterable[Mapping[str, Any]],
                    found: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[dict]:
    """Each wanted object that exists (it will be adopted), as Nexus spells its name, for the preflight's output."""
    return [{**w, "name": (found.get(w["collection"]) or {})[w["name"].lower()].get("name") or w["name"]}
            for w in wanted if w["name"].lower() in (found.get(w["collection"]) or {})]


def renamed_adopted(adopted: Iterable[Mapping[str, Any]], wanted: Iterable[Mapping[str, Any]]) -> list[str]:
    """A repository adopted by an earlier run whose stack key now names another one: the engine would replace it
    (delete, then create). Refused here, in the preflight, before anything else is written."""
    now = {(w["collection"], w.get("key")): w["name"] for w in wanted if w.get("key")}
    out = []
    for old in adopted:
        new = now.get((old.get("collection"), old.get("key")))
        if old.get("collection") == REPOSITORY and new is not None and new.lower() != str(old["name"]).lower():
            out.append(replace_refused(describe(REPOSITORY, old.get("format"), old.get("type")), old["name"],
                                       [f"its name (stack key `{old['key']}`: {new!r})"]))
    return out


def blob_stores_in_use(repo_stores: Mapping[str, Optional[str]], declared: Iterable[Mapping[str, Any]]) -> dict:
    """The `blob_stores` stack output: every blob store a repository really uses (role -> store name, as read from
    Nexus), with what the stack knows of it; a declared store no repository uses is not shown."""
    rows = {str(d["name"]).lower(): d for d in declared if not d.get("unused")}
    out: dict[str, dict] = {}
    for role, store in repo_stores.items():
        if not store:
            continue
        row = rows.get(store.lower())
        entry = out.setdefault(store, {
            "soft_quota": row.get("soft_quota") if row else None,
            "quota_status": row.get("quota_status") if row else None,
            # A store the stack did not declare (an adopted repository's own) is left entirely as found.
            "managed": row is not None,
            ADOPTED: bool(row.get(ADOPTED)) if row else True,
            "used_by": [],
        })
        entry["used_by"].append(role)
    return out


def in_use_names(repo_stores: Iterable[Optional[str]]) -> list[str]:
    """The blob stores the repositories use, once each (case-insensitively), in order."""
    seen: dict[str, str] = {}
    for store in repo_stores:
        if store and store.lower() not in seen:
            seen[store.lower()] = store
    return list(seen.values())
