"""`lector publish PROJECT [--endpoint-url URL --bucket B --prefix P]`: upload masters + manifest.

Objects first (content-addressed, each verified), the version's manifest.json last, then
latest.json (flows.publish). Waits for a render of the same project to finish (project lock)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("publish", help="upload build/masters and manifest.json to S3 or the local store")
    p.add_argument("project", help="project folder (holds project.toml)")
    p.add_argument("--target", choices=("local", "s3"), help="default: publish.target (s3 if --endpoint-url)")
    p.add_argument("--endpoint-url", help="S3 endpoint (MinIO, Swift s3api, AWS); env LECTOR_S3_ENDPOINT_URL")
    p.add_argument("--bucket", help="default: publish.bucket")
    p.add_argument("--prefix", help="default: publish.prefix")
    p.add_argument("--credentials-block", help="Prefect Secret block with AWS keys (else the AWS chain)")
    p.add_argument("--multipart-mb", type=int, default=64, help="multipart threshold in MiB (default 64)")
    p.add_argument("--deep-verify", action="store_true", help="re-download every object and compare sha256")
    p.add_argument(
        "--allow-fallback",
        action="store_true",
        help="publish even though the render used fallback voices it was not allowed to",
    )
    p.add_argument("--json", action="store_true", help="print what was published as JSON")
    p.set_defaults(func=run)


def check_fallback(build_dir, allow: bool) -> None:
    """Refuse (FallbackUsed, exit 3) to publish a build whose manifest says fallback voices spoke
    sentences the render was not allowed to keep, unless ``allow``."""
    from lector.core.build import BuildDir
    from lector.core.errors import FallbackUsed

    build = BuildDir(build_dir)
    manifest = build.load_manifest()
    fallback = manifest.fallback if manifest is not None else {}
    if fallback.get("sentences") and not fallback.get("allowed") and not allow:
        per = ", ".join(f"chapter {i}: {n}" for i, n in fallback.get("chapters", {}).items())
        raise FallbackUsed(
            f"the build holds {fallback['sentences']} sentence(s) spoken by a fallback voice "
            f"({per}); nothing was published",
            file=build.manifest_json,
            field="fallback",
            fix="render again once the voice's engine works, or publish them with "
            "`lector publish --allow-fallback`",
        )


def run(args) -> int:
    from lector.core.lock import project_lock
    from lector.core.project import load_project
    from lector.flows.publish import publish_build, resolve_target

    from ._common import show_progress

    project = load_project(args.project)
    target = resolve_target(
        project,
        target=args.target,
        endpoint_url=args.endpoint_url,
        bucket=args.bucket,
        prefix=args.prefix,
        credentials_block=args.credentials_block,
    )
    show_progress()  # "waiting for render (pid ...)" while a render holds the project
    with project_lock(project.build_dir, "lector publish", wait_s=float("inf")):
        check_fallback(project.build_dir, args.allow_fallback)
        report = publish_build(
            project,
            target,
            multipart_threshold_bytes=args.multipart_mb * 1024 * 1024,
            deep_verify=args.deep_verify,
        )
    total = sum(o.size_bytes for o in report.objects)
    reused = sum(o.verified_by == "already stored" for o in report.objects)
    if args.json:
        print(
            json.dumps(
                {
                    "url": report.url,
                    "latest": report.latest_key,
                    "objects": len(report.objects),
                    "bytes": total,
                    "already_stored": reused,
                    "keys": [o.key for o in report.objects],
                },
                indent=2,
            )
        )
        return 0
    print(
        f"published {len(report.objects)} objects ({total / 1e6:.1f} MB, {reused} already stored; every "
        f"one verified by checksum) to {report.url}; {report.latest_key} points to it"
    )
    return 0
