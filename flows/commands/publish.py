"""`lector publish PROJECT [--endpoint-url URL --bucket B --prefix P]`: upload masters + manifest."""
from __future__ import annotations


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
    p.set_defaults(func=run)


def run(args) -> int:
    from tts_engine.project import load_project

    from ..publish import publish_build, resolve_target

    project = load_project(args.project)
    target = resolve_target(project, target=args.target, endpoint_url=args.endpoint_url, bucket=args.bucket,
                            prefix=args.prefix, credentials_block=args.credentials_block)
    report = publish_build(project, target, multipart_threshold_bytes=args.multipart_mb * 1024 * 1024,
                           deep_verify=args.deep_verify)
    total = sum(o.size_bytes for o in report.objects)
    print(f"published {len(report.objects)} objects ({total / 1e6:.1f} MB, sha256 verified) to {report.url}")
    return 0
