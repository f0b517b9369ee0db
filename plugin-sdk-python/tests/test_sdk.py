"""The Python SDK's own tests, in plain CPython: `python3 -m pytest
plugin-sdk-python/tests` or `python3 -m unittest discover plugin-sdk-python/tests`."""

import contextlib
import io
import json
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent
REPO = SDK.parent
sys.path.insert(0, str(SDK))

from trawl_sdk import (  # noqa: E402
    ACCESS_DENIED,
    ApiError,
    Collection,
    Failed,
    PluginInfo,
    Scope,
    Setting,
    SettingKind,
    Skipped,
    TokenStyle,
    call,
    call_many,
    export,
    log,
    paginate,
    setting,
    wire,
)
from trawl_sdk.testing import TestCloud, target  # noqa: E402


def fake(pages, seen):
    """A fake service with `pages` pages, recording each request it saw."""
    pages = iter(pages)

    def fetch(service, operation, params):
        seen.append(json.loads(params))
        return json.dumps(next(pages))

    return fetch


class Paginate(unittest.TestCase):
    def test_ec2_next_token_is_sent_back_as_next_token(self):
        seen = []
        pages = [
            {"volumeSet": [{"volumeId": "a"}], "nextToken": "t1"},
            {"volumeSet": [{"volumeId": "b"}], "nextToken": "t2"},
            {"volumeSet": [{"volumeId": "c"}]},
        ]
        params = {"MaxResults": 5}
        got = list(paginate("ec2", "DescribeVolumes", params, fetch=fake(pages, seen)))
        self.assertEqual(len(got), 3)
        self.assertEqual(seen, [{"MaxResults": 5}, {"MaxResults": 5, "NextToken": "t1"}, {"MaxResults": 5, "NextToken": "t2"}])
        self.assertEqual(params, {"MaxResults": 5}, "the caller's params are not changed")

    def test_marker_pages_until_is_truncated_is_false(self):
        for truthy, falsy in (("true", "false"), (True, False)):
            seen = []
            pages = [{"Roles": [1], "IsTruncated": truthy, "Marker": "m1"}, {"Roles": [2], "IsTruncated": falsy, "Marker": "ignored"}]
            self.assertEqual(len(list(paginate("iam", "ListRoles", {}, fetch=fake(pages, seen)))), 2)
            self.assertEqual(seen[1], {"Marker": "m1"})

    def test_next_marker_goes_back_as_marker(self):
        seen = []
        pages = [{"Items": [], "NextMarker": "n1"}, {"Items": []}]
        self.assertEqual(len(list(paginate("x", "List", {}, fetch=fake(pages, seen)))), 2)
        self.assertEqual(seen[1], {"Marker": "n1"})

    def test_json_services_send_back_the_same_name(self):
        seen = []
        pages = [{"events": [], "nextToken": "h1"}, {"events": []}]
        self.assertEqual(len(list(paginate("health", "DescribeEvents", {}, fetch=fake(pages, seen)))), 2)
        self.assertEqual(seen[1], {"nextToken": "h1"})
        seen = []
        pages = [{"Quotas": [], "NextToken": "q1"}, {"Quotas": [], "NextToken": ""}]
        self.assertEqual(len(list(paginate("servicequotas", "ListServiceQuotas", {}, fetch=fake(pages, seen)))), 2)
        self.assertEqual(seen[1], {"NextToken": "q1"})

    def test_explicit_style_and_empty_token_ends(self):
        for style in (TokenStyle.named("Next", "PageToken"), ("Next", "PageToken")):
            seen = []
            pages = [{"Next": "p2"}, {"Next": ""}]
            self.assertEqual(len(list(paginate("x", "List", {}, style=style, fetch=fake(pages, seen)))), 2)
            self.assertEqual(seen[1], {"PageToken": "p2"})

    def test_a_repeated_token_is_an_error_not_an_endless_loop(self):
        pages = paginate("x", "List", {}, fetch=fake([{"NextToken": "same"}, {"NextToken": "same"}], []))
        next(pages)
        with self.assertRaises(ApiError) as e:
            next(pages)
        self.assertEqual(e.exception.code, "trawl.PaginationLoop")
        self.assertEqual(e.exception.message, "x:List returned the same token twice")

    def test_an_api_error_stops_the_iteration(self):
        calls = []

        def fetch(*_):
            calls.append(1)
            raise ApiError("UnauthorizedOperation", "no")

        with self.assertRaises(ApiError):
            list(paginate("ec2", "DescribeVolumes", {}, fetch=fetch))
        self.assertEqual(len(calls), 1)

    def test_a_token_needs_object_params(self):
        pages = paginate("x", "List", [1], fetch=fake([{"NextToken": "t"}], []))
        with self.assertRaises(ApiError) as e:
            next(pages)
        self.assertEqual(e.exception.code, "trawl.BadParams")


class Records(unittest.TestCase):
    def test_records_must_be_objects_and_totals_replace(self):
        c = Collection()
        c.push({"id": 1, "name": "é"})
        with self.assertRaises(Failed) as e:
            c.push(42)
        self.assertEqual(e.exception.code, "trawl.RecordNotObject")
        c.total("total", 1).total("unused", 2).total("total", 3)
        self.assertEqual(c.records, ['{"id":1,"name":"é"}'])
        self.assertEqual(list(c.totals.items()), [("total", 3), ("unused", 2)])
        self.assertEqual(len(c), 1)
        for bad in (-1, 2**64, 1.5, True):
            with self.assertRaises((TypeError, ValueError)):
                c.total("x", bad)


class Errors(unittest.TestCase):
    def test_access_denied_family_is_skipped_and_keeps_code(self):
        self.assertEqual(ACCESS_DENIED[0], "AccessDenied")
        for code in ("AccessDenied", "UnauthorizedOperation", "OptInRequired", "SubscriptionRequiredException"):
            self.assertEqual(ApiError(code, "no").to_collect_error(), Skipped(code, "no"))

    def test_other_errors_fail_with_their_code_and_request_id(self):
        e = ApiError("InvalidParameterValue", "bad MaxResults", 400, "req-1").to_collect_error()
        self.assertEqual(e, Failed("InvalidParameterValue", "bad MaxResults (request id req-1)"))
        self.assertIsInstance(ApiError("trawl.PermissionDenied", "undeclared").to_collect_error(), Failed)

    def test_error_codes_module_is_generated_from_the_rust_list(self):
        generator = SDK / "generate_error_codes.py"
        self.assertEqual(subprocess.run([sys.executable, str(generator), "--check"]).returncode, 0)
        first = (SDK / "trawl_sdk" / "_error_codes.py").read_text().splitlines()[0]
        self.assertIn("error-codes/src/lib.rs", first)

    def test_the_wit_is_the_repositorys(self):
        self.assertEqual((SDK / "trawl_sdk" / "wit" / "collector.wit").read_bytes(), (REPO / "wit" / "collector.wit").read_bytes())


class Wire(unittest.TestCase):
    def test_reads_string_and_native_forms(self):
        self.assertEqual([wire.number(x) for x in ("-3", "1.5", " 100 ", 7, 2.5)], [-3, 1.5, 100, 7, 2.5])
        self.assertIsInstance(wire.number("100"), int)
        self.assertEqual([wire.boolean(x) for x in ("true", "false", True, False)], [True, False, True, False])

    def test_rejects_garbage_with_a_shape_error(self):
        for reader, bad in ((wire.number, "x"), (wire.number, ""), (wire.number, "1_000"), (wire.number, "0x10"), (wire.number, "nan"), (wire.number, None), (wire.number, True), (wire.boolean, "yes"), (wire.boolean, 1)):
            with self.assertRaises(ApiError) as e:
                reader(bad)
            self.assertEqual(e.exception.code, "trawl.UnexpectedShape")


class Declarations(unittest.TestCase):
    def test_settings_are_checked_as_the_host_checks_them(self):
        self.assertEqual(Setting.number("ratio", 1).default, 1.0)
        self.assertEqual(Setting.optional("tag", "text").kind, SettingKind.TEXT)
        for bad in (
            lambda: Setting.integer("Bad-Name", 1),
            lambda: Setting.integer("n", 1.5),
            lambda: Setting.integer("n", True),
            lambda: Setting.boolean("b", "true"),
            lambda: Setting.text("t", "x", choices=["a", "b"]),
            lambda: Setting.integer("n", 0, range=(1, 10)),
            lambda: Setting.optional("t", "text", range=(1, 2)),
            lambda: Setting.optional("n", "integer", choices=["a"]),
            lambda: Setting.text_list("l", ["a", 1]),
            lambda: PluginInfo("p", "1", "regional", settings=[Setting.boolean("b", True), Setting.boolean("b", False)]),
            lambda: PluginInfo("p", "1", "sometimes"),
            lambda: PluginInfo("p", "1", "regional", permissions="ec2:DescribeVolumes"),
        ):
            with self.assertRaises((TypeError, ValueError)):
                bad()


# A collector like the Rust SDK's testing.rs example.
class Volumes:
    def info(self):
        return PluginInfo(
            "volumes",
            "0.1.0",
            Scope.REGIONAL,
            permissions=["ec2:DescribeVolumes"],
            settings=[
                Setting.integer("min_size", 0, range=(0, 16384)),
                Setting.optional("owner", SettingKind.TEXT),
                Setting.text_list("types", ["gp2", "gp3"]),
            ],
        )

    def collect(self, target):
        minimum = setting("min_size")
        out = Collection()
        for page in paginate("ec2", "DescribeVolumes", {"MaxResults": 500}):
            for v in page.get("volumeSet", []):
                if wire.number(v["size"]) >= minimum:
                    out.push(v)
        log.info(f"done in {target.region}, owner {setting('owner')}, types {setting('types')}")
        return out.total("volumes", len(out))


def two_pages():
    return (
        TestCloud()
        .answer("ec2:DescribeVolumes", {"volumeSet": [{"volumeId": "a", "size": "8"}], "nextToken": "t"})
        .answer("ec2:DescribeVolumes", {"volumeSet": [{"volumeId": "b", "size": "100"}]})
    )


class Harness(unittest.TestCase):
    here = target("111111111111", "demo", "eu-west-1")

    def test_pages_settings_totals_and_calls_are_seen(self):
        everything = two_pages().collect(Volumes, self.here)
        self.assertEqual(len(everything.records), 2)
        self.assertEqual(everything.totals, {"volumes": 2})
        self.assertEqual(everything.calls[1].params, {"MaxResults": 500, "NextToken": "t"})
        self.assertEqual(everything.logs, ["INFO done in eu-west-1, owner None, types ['gp2', 'gp3']"])
        big = two_pages().set("min_size", 50).set("owner", "ops").collect(Volumes, self.here)
        self.assertEqual(big.records, [{"volumeId": "b", "size": "100"}])
        self.assertEqual(big.logs, ["INFO done in eu-west-1, owner ops, types ['gp2', 'gp3']"])

    def test_settings_the_host_would_refuse_are_refused(self):
        with self.assertRaises(ValueError):
            two_pages().set("max_size", 5).collect(Volumes, self.here)
        with self.assertRaises(ValueError):
            two_pages().set("min_size", -1).collect(Volumes, self.here)
        with self.assertRaises(ValueError):
            two_pages().set("min_size", "5").collect(Volumes, self.here)

    def test_denials_skip_and_missing_answers_fail(self):
        with self.assertRaises(Skipped) as e:
            TestCloud().error("ec2:DescribeVolumes", "UnauthorizedOperation", "no").collect(Volumes, self.here)
        self.assertEqual(e.exception.code, "UnauthorizedOperation")
        with self.assertRaises(Failed) as e:
            TestCloud().collect(Volumes, self.here)
        self.assertEqual(e.exception.code, "trawl.TestUnanswered")

    def test_undeclared_calls_are_refused_as_the_host_refuses_them(self):
        seen = []

        class Sneaky:
            def info(self):
                return PluginInfo("sneaky", "0.1.0", Scope.REGIONAL, permissions=["ec2:Describe*"])

            def collect(self, target):
                seen.extend(call_many([("ec2", "DescribeVolumes", {}), ("ec2", "TerminateInstances", {})]))
                call("ec2", "TerminateInstances", {})
                return Collection()

        cloud = TestCloud().answer("ec2:DescribeVolumes", {}).answer("ec2:TerminateInstances", {})
        with self.assertRaises(Failed) as e:
            cloud.collect(Sneaky, self.here)
        self.assertEqual(e.exception.code, "trawl.PermissionDenied")
        self.assertEqual(seen[0], {})
        self.assertEqual(seen[1].code, "trawl.PermissionDenied")

    def test_exceptions_fail_the_target_with_their_type_and_message(self):
        class Broken:
            def info(self):
                return PluginInfo("broken", "0.1.0", Scope.ACCOUNT, home_region="eu-central-1")

            def collect(self, target):
                return {"volumes": []}["volumeSet"]

        with self.assertRaises(Failed) as e:
            TestCloud().collect(Broken)
        self.assertEqual((e.exception.code, e.exception.message), ("trawl.PluginException", "KeyError: 'volumeSet'"))
        self.assertIsInstance(e.exception.__cause__, KeyError)

        class NoCollection(Broken):
            def collect(self, target):
                return [target.region]

        with self.assertRaises(Failed) as e:
            TestCloud().collect(NoCollection)
        self.assertEqual(e.exception.message, "TypeError: collect returned list, not a trawl_sdk.Collection")

    def test_undeclared_settings_fail_when_read(self):
        class Typo(Volumes):
            def collect(self, target):
                setting("min_sise")

        with self.assertRaises(Failed) as e:
            TestCloud().collect(Typo)
        self.assertEqual(e.exception.code, "trawl.MissingSetting")

    def test_outside_a_test_cloud_calls_say_where_they_work(self):
        with self.assertRaises(RuntimeError):
            call("ec2", "DescribeVolumes", {})


class Export(unittest.TestCase):
    def test_export_makes_the_two_classes_componentize_py_looks_for(self):
        plugin, details = export(Volumes)
        self.assertEqual((plugin.__name__, details.__name__), ("Plugin", "Details"))
        self.assertIs(plugin.collector, Volumes)
        self.assertEqual(plugin.exported.info.name, "volumes")
        self.assertIsNone(plugin.exported.error)

    def test_an_info_that_raises_is_kept_for_the_build_to_report(self):
        class Bad:
            def info(self):
                raise ValueError("no name")

            def collect(self, target):
                return Collection()

        plugin, _ = export(Bad)
        self.assertIsInstance(plugin.exported.error, ValueError)
        with self.assertRaises(TypeError):
            export(object())

    def test_the_exports_speak_the_bindings_types(self):
        """The glue against the bindings componentize-py generates for the
        SDK's WIT (skipped without componentize-py)."""
        try:
            import componentize_py  # noqa: F401
        except ImportError:
            self.skipTest("componentize-py is not installed")
        from trawl_sdk import _component, _host

        with tempfile.TemporaryDirectory() as tmp:
            wit = SDK / "trawl_sdk" / "wit"
            run = subprocess.run(
                [sys.executable, "-c", "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())",
                 "-d", str(wit), "-w", "collector", "bindings", tmp],
                capture_output=True,
                text=True,
            )
            self.assertEqual(run.returncode, 0, run.stderr)
            sys.path.insert(0, tmp)
            try:
                import componentize_py_types
                from wit_world.imports import types
            finally:
                sys.path.remove(tmp)
        saved = getattr(_component, "_types", None), getattr(_component, "Err", None), _host.test_backend
        _component._types, _component.Err = types, componentize_py_types.Err
        try:
            plugin, details = export(Volumes)
            info = plugin().info()
            self.assertEqual(info, types.PluginInfo("volumes", "0.1.0", "", types.Scope.REGIONAL, None, ["ec2:DescribeVolumes"], []))
            d = details().details()
            self.assertEqual(d.settings[0], types.Setting("min_size", types.SettingKind.INTEGER, types.SettingValue_Integer(0), "", 0.0, 16384.0, []))
            self.assertIsNone(d.settings[1].default)
            self.assertEqual(d.settings[2].default, types.SettingValue_TextList(["gp2", "gp3"]))
            wit_target = types.Target("111111111111", "demo", "eu-west-1")
            cloud = two_pages()
            # What TestCloud.collect sets up, here for the component glue.
            from trawl_sdk.testing import _State

            _host.test_backend = _State(Volumes().info(), {k: v for k, v in cloud._answers.items()}, {"min_size": 0, "types": ["gp2"]})
            got = plugin().collect(wit_target)
            self.assertEqual(got.records, ['{"volumeId":"a","size":"8"}', '{"volumeId":"b","size":"100"}'])
            self.assertEqual(got.totals, [types.Total("volumes", 2)])
            _host.test_backend = _State(Volumes().info(), {}, {"min_size": 0})
            with self.assertRaises(componentize_py_types.Err) as e:
                plugin().collect(wit_target)
            self.assertEqual(e.exception.value, types.CollectError_Failed(types.Reason("trawl.TestUnanswered", "the test queued no (more) answers for ec2:DescribeVolumes")))

            class Bad:
                def info(self):
                    raise ValueError("no name")

                def collect(self, target):
                    return Collection()

            bad_plugin, bad_details = export(Bad)
            stderr = io.StringIO()
            with contextlib.redirect_stderr(stderr):
                self.assertEqual(bad_plugin().info().name, "bad")
            self.assertIn("ValueError: no name", stderr.getvalue())
            self.assertEqual(bad_details().details(), types.PluginDetails([], []))
            with self.assertRaises(componentize_py_types.Err) as e:
                bad_plugin().collect(wit_target)
            self.assertEqual(e.exception.value, types.CollectError_Failed(types.Reason("trawl.PluginException", "ValueError: no name")))
        finally:
            _component._types, _component.Err, _host.test_backend = saved
            for name in [m for m in sys.modules if m == "wit_world" or m.startswith("wit_world.") or m.startswith("componentize_py_")]:
                del sys.modules[name]

    def test_build_checks_the_app_natively_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / "noexport.py"
            app.write_text("x = 1\n")
            run = subprocess.run(
                [sys.executable, "-m", "trawl_sdk", "build", str(app)],
                capture_output=True,
                text=True,
                env={"PYTHONPATH": str(SDK), "PATH": "/usr/bin:/bin"},
            )
            self.assertEqual(run.returncode, 1, run.stderr)
            self.assertIn("Plugin, Details = export(YourCollector)", run.stderr)
            app = Path(tmp) / "badinfo.py"
            app.write_text(
                textwrap.dedent(
                    """
                    from trawl_sdk import export, PluginInfo
                    class C:
                        def info(self):
                            return PluginInfo("c", "0.1.0", "regional", permissions="ec2:*")
                        def collect(self, target):
                            pass
                    Plugin, Details = export(C)
                    """
                )
            )
            run = subprocess.run(
                [sys.executable, "-m", "trawl_sdk", "build", str(app)],
                capture_output=True,
                text=True,
                env={"PYTHONPATH": str(SDK), "PATH": "/usr/bin:/bin"},
            )
            self.assertEqual(run.returncode, 1, run.stderr)
            self.assertIn("PluginInfo.permissions must be a list of texts", run.stderr)
            self.assertIn("info() raised", run.stderr)


if __name__ == "__main__":
    unittest.main()
