"""What every Nexus dynamic resource shares: the provider base classes (check/diff from the field tables,
configure(), a client built per call) and the resource base class programs declare through.

Importing a module of this package registers nothing and reads no config: the provider classes are pickled by
reference (`components.nexus_config.<module>.<Name>Provider`; the stored paths are listed in
tests/nexus_config/test_provider_paths.py) into each resource's `__provider` input and re-imported by the dynamic
provider process, which then calls `configure()` with the stack config.

Read-only mode: a frozen Nexus is recognised at once, before any write (`wait_until_ready`) and from a write's 503,
and reported with how to leave it (read_only.py); it is never retried as if Nexus were starting.

Credentials: user `admin`, password from the stack config key `adminPassword` (read in `configure()` only, with
`namespace`, which the error for an unreachable `nexusUrl` names in its port-forward recipe).
The password lives on the configured provider instance, is dropped when the provider is pickled
(`__getstate__`), and is never an input, an output, a log line or part of an error message.
"""
from __future__ import annotations

import time
from typing import Any, ClassVar, Mapping, Optional

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from components.nexus_config import adoption as ad
from components.nexus_config import fields as f
from components.nexus_config.client import (
    PASSWORD_KEY,
    ClientSettings,
    NexusApiError,
    NexusClient,
    NexusConflictError,
    NexusError,
)
from components.nexus_config.reach import DEFAULT_NAMESPACE, NAMESPACE_KEY


class NexusProvider(ResourceProvider):
    """Shared check/diff (from the payload field tables), configure() and per-call client construction."""

    fields: ClassVar[tuple[f.Field, ...]]
    kept_when_adopted: ClassVar[tuple[str, ...]] = ()   # what an adopted object keeps as Nexus holds it
    _password: Optional[str] = None        # set only by configure(); a class default of None, never a secret
    _namespace: str = DEFAULT_NAMESPACE    # set by configure(): for the port-forward recipe (reach.py)

    def __init__(self, settings: Optional[ClientSettings] = None) -> None:
        super().__init__()
        self.settings = settings or ClientSettings()

    def configure(self, req: ConfigureRequest) -> None:
        self._password = req.config.get(PASSWORD_KEY)
        self._namespace = req.config.get(NAMESPACE_KEY) or DEFAULT_NAMESPACE

    def __getstate__(self) -> dict:
        # A provider configured in this process must not carry the password into a pickle.
        return {k: v for k, v in self.__dict__.items() if k != "_password"}

    @staticmethod
    def cross_check(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Checks across fields; the field table checks each field on its own."""
        return []

    def check(self, _olds: dict, news: dict) -> CheckResult:
        inputs, failures = f.check_inputs(self.fields, news, self.cross_check)
        return CheckResult(inputs, [CheckFailure(key, reason) for key, reason in failures])

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        changed, replaces = f.diff_inputs(self.fields, olds, self._kept(olds, news))
        if replaces and olds.get(ad.ADOPTED):
            raise NexusError(ad.replace_refused(getattr(self, "kind", "object"), olds.get("name") or _id, replaces))
        return DiffResult(changes=bool(changed), replaces=replaces,
                          delete_before_replace=True if replaces else None)

    def _kept(self, olds: Mapping[str, Any], news: dict) -> dict:
        """`news` with what an adopted object keeps as found (Nexus cannot change it in place) taken from `olds`."""
        if not olds.get(ad.ADOPTED):
            return news
        return {**news, **{k: olds.get(k) for k in self.kept_when_adopted}}

    def _inputs(self, props: Mapping[str, Any]) -> dict:
        # What create/update build requests from: numbers crossed the RPC boundary as doubles since check().
        return {field.key: f.from_wire(props.get(field.key)) for field in self.fields}

    def _client(self, props: Mapping[str, Any]) -> NexusClient:
        try:
            url = f.nexus_url(props.get("nexus_url"))
        except f.InvalidValue as exc:
            raise NexusError(f"nexus_url {f.redacted(props.get('nexus_url'))!r}: {exc}") from None
        if not self._password:
            raise NexusError(f"no Nexus admin password: the provider reads the `{PASSWORD_KEY}` stack config key; "
                             f"set it with `pulumi config set --secret {PASSWORD_KEY} <password>`")
        # Progress (retries, readiness waits) goes to the engine when there is one, else to stderr.
        return NexusClient(url, self._password, self.settings, progress=pulumi.log.info,
                           namespace=self._namespace)


class NamedObjectProvider(NexusProvider):
    kind: ClassVar[str]                    # for messages, e.g. "docker hosted repository"
    # With the input `adopt_existing` (fields ad.ADOPT_FIELDS), create takes over an object that exists under the
    # name instead of refusing it (adoption.py); users and roles never are.
    adoptable: ClassVar[bool] = False
    local_keys: ClassVar[frozenset[str]] = frozenset()   # inputs that are ours only (never sent to Nexus)
    config_key_of_name: ClassVar[Optional[str]] = None   # the stack key that names such objects (for messages)

    # ---- the REST calls a subclass provides --------------------------------------------------------------------
    def _names(self, client: NexusClient) -> list[str]: raise NotImplementedError
    def _get(self, client: NexusClient, name: str) -> Optional[dict]: raise NotImplementedError
    def _post(self, client: NexusClient, inputs: dict) -> None: raise NotImplementedError
    def _put(self, client: NexusClient, name: str, inputs: dict) -> None: raise NotImplementedError
    def _delete(self, client: NexusClient, name: str) -> None: raise NotImplementedError
    def _outs(self, name: str, body: dict) -> dict: raise NotImplementedError

    def _before_write(self, client: NexusClient, inputs: dict) -> None:
        """Refuse inputs the server cannot take (edition checks) before anything is sent."""

    def _carry(self, outs: dict, known: Mapping[str, Any]) -> dict:
        """Outs plus what Nexus does not give back (write-only or local inputs), taken from `known`: the inputs
        after a write, the state on a refresh. Nothing by default."""
        return outs

    def _kind_problem(self, client: NexusClient, name: str) -> Optional[str]:
        """Why the object under `name` cannot be adopted (another format or type), or None."""
        return None

    def _finish(self, outs: dict, known: Mapping[str, Any], adopted: Optional[bool]) -> dict:
        """Outs with what Nexus does not know: `_carry`, and for an adoptable object the adoption inputs and marker."""
        outs = self._carry(outs, known)
        if not self.adoptable:
            return outs
        return {**outs, **{field.key: known.get(field.key) for field in ad.ADOPT_FIELDS}, ad.ADOPTED: bool(adopted)}

    # ---- CRUD --------------------------------------------------------------------------------------------------
    def create(self, props: dict) -> CreateResult:
        inputs = self._inputs(props)
        name, client = inputs["name"], self._client(inputs)
        client.wait_until_ready()
        self._before_write(client, inputs)
        existing = self._found(client, name)
        if existing is not None:
            if self.adoptable and inputs.get("adopt_existing"):
                return self._adopt(client, existing, inputs)
            raise self._already_exists(name)
        posted = False
        try:
            self._post(client, inputs)
            posted = True
            outs = self._read_back(client, name)
        except NexusError as err:
            raise self._undo_create(client, name, err, posted) from err
        return CreateResult(name, self._finish(outs, inputs, adopted=False))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        body = self._get(client, id_)
        if body is None:                               # deleted outside Pulumi: refresh drops it from state
            return ReadResult("", {})
        outs = self._finish({"nexus_url": client.base_url, **self._outs(id_, body)}, props, props.get(ad.ADOPTED))
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def update(self, id_: str, olds: dict, news: dict) -> UpdateResult:
        inputs = self._inputs(self._kept(olds, news))
        client = self._client(inputs)
        client.wait_until_ready()
        self._before_write(client, inputs)
        try:
            self._put(client, id_, inputs)
        except NexusApiError as err:
            if err.status != 404:
                raise
            raise self._gone(id_) from err
        return UpdateResult(self._finish(self._read_back(client, id_), inputs, olds.get(ad.ADOPTED)))

    def delete(self, id_: str, props: dict) -> None:
        if props.get(ad.ADOPTED) and props.get("retain_adopted", True):
            pulumi.log.info(ad.kept_on_delete(self.kind, id_))      # it was there before the stack: keep it
            return
        self._delete(self._client(props), id_)         # 404 is fine: already gone

    # ---- adoption ----------------------------------------------------------------------------------------------
    def _adopt(self, client: NexusClient, name: str, inputs: dict) -> CreateResult:
        """Take over the existing object `name` (as Nexus spells it): keep what cannot change in place, converge the
        rest with one PUT when it differs, never delete or re-create it."""
        problem = self._kind_problem(client, name)
        if problem:
            raise NexusConflictError(problem)
        current = self._read_back(client, name)
        wanted = {**inputs, "name": name, **{k: current.get(k) for k in self.kept_when_adopted}}
        changed = self._differences(current, wanted)
        pulumi.log.info(ad.adopting(self.kind, name, changed))
        if changed:
            try:
                self._put(client, name, wanted)
            except NexusError as err:
                raise NexusError(f"adopting {self.kind} {name!r}: Nexus refused the stack's settings "
                                 f"({', '.join(changed)}): {err}. Nothing was deleted or re-created; fix the setting "
                                 f"and run `pulumi up` again", uncertain=err.uncertain) from err
            current = self._read_back(client, name)
        return CreateResult(name, self._finish(current, wanted, adopted=True))

    def _differences(self, current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
        """The settings Nexus holds otherwise than `wanted` (write-only ones, such as a remote password, always
        count: Nexus never shows them)."""
        nexus_fields = [field for field in self.fields if field.key not in ad.LOCAL_KEYS | self.local_keys]
        return f.diff_inputs(nexus_fields, current, wanted)[0]

    # ---- helpers -----------------------------------------------------------------------------------------------
    def _found(self, client: NexusClient, name: str) -> Optional[str]:
        """The name as Nexus holds it (names ignore case), or None when there is no such object."""
        return next((n for n in self._names(client) if n.lower() == name.lower()), None)

    def _exists(self, client: NexusClient, name: str) -> bool:
        return self._found(client, name) is not None

    def _gone(self, name: str) -> NexusError:
        return NexusError(f"{self.kind} {name!r} no longer exists in Nexus (deleted outside Pulumi); run "
                          f"`pulumi refresh` so the next `pulumi up` creates it again")

    def _already_exists(self, name: str) -> NexusConflictError:
        if self.adoptable:
            return NexusConflictError(ad.already_exists(self.kind, name))
        return NexusConflictError(ad.never_adopted(self.kind, name, self.config_key_of_name))

    def _read_back(self, client: NexusClient, name: str) -> dict:
        body = self._get(client, name)
        if body is None:
            raise NexusError(f"{self.kind} {name!r} was accepted by Nexus but cannot be read back")
        return {"nexus_url": client.base_url, **self._outs(name, body)}

    def _undo_create(self, client: NexusClient, name: str, err: NexusError, posted: bool) -> NexusError:
        """Make a failed create leave nothing behind; return the error to raise."""
        if not posted and not err.uncertain:
            # Nexus answered the only POST it saw, with an error: it created nothing for us. If the object is
            # there now, someone else created it meanwhile (Nexus' duplicate-name text is not reliable).
            return self._already_exists(name) if isinstance(err, NexusApiError) and self._exists(client, name) \
                else err
        try:
            appeared = self._appears(client, name, 0.0 if posted else self.settings.settle_time)
            if appeared:
                self._delete(client, name)
            outcome = (f"the partially created {self.kind} {name!r} was deleted again" if appeared
                       else f"{self.kind} {name!r} was not created")
        except NexusError as cleanup_err:
            outcome = (f"could not check whether {self.kind} {name!r} was created ({cleanup_err}); "
                       f"check Nexus and delete it by hand if it exists")
        return NexusError(f"creating {self.kind} {name!r} failed: {err}; {outcome}", uncertain=err.uncertain)

    def _appears(self, client: NexusClient, name: str, window: float) -> bool:
        """Whether the object exists, watching for up to `window` seconds (a timed-out POST may land late)."""
        deadline = time.monotonic() + window
        while not self._exists(client, name):
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(self.settings.ready_interval, max(window / 10, 0.01)))
        return True


class NexusResource(pulumi.dynamic.Resource):
    _provider: ClassVar[type[NexusProvider]]
    _outputs: ClassVar[tuple[str, ...]] = ()      # output-only keys, seeded with None to become typed attributes
    _secret_outputs: ClassVar[tuple[str, ...]] = ()   # outputs the engine must keep secret (write-only credentials)
    nexus_url: pulumi.Output[str]

    def __init__(self, resource_name: str, *, opts: Optional[pulumi.ResourceOptions] = None,
                 **inputs: Any) -> None:
        fields = self._provider.fields
        unknown = sorted(set(inputs) - {f.key for f in fields})
        missing = [f.key for f in fields if f.required and inputs.get(f.key) is None]
        if unknown or missing:
            raise TypeError(f"{type(self).__name__}({resource_name!r}): "
                            + "; ".join(filter(None, [unknown and f"unknown inputs {unknown}",
                                                      missing and f"missing required inputs {missing}"])))
        props = {**{f.key: inputs.get(f.key) for f in fields}, **dict.fromkeys(self._outputs)}
        if self._secret_outputs:
            opts = pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=list(self._secret_outputs)))
        super().__init__(self._provider(), resource_name, props, opts)
