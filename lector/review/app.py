"""The editors' review app (FastAPI + jinja2 templates in ``templates/``).

``create_app(project_root, token=None)``; ``lector review PROJECT`` serves it with uvicorn.
Pages: ``/`` (chapters, status, QC summary) and ``/chapters/{n}`` (player + sentences).
Every POST answers JSON (``{"ok", "message", "html"}``) to fetch() callers and a 303
back to the chapter otherwise.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from lector.core.errors import ProjectBusy

from . import actions, jobs
from .data import BuildView
from .meta import project_meta
from .routes_preview import register_preview
from .routes_pronounce import register_pronounce
from .routes_waveform import register_waveform
from .security import MAX_UPLOAD_BYTES, SecurityMiddleware, csrf_protect, safe_path
from .store import ReviewStore

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_FILES = {"review.css": "text/css", "review.js": "text/javascript", "wave.js": "text/javascript"}


class Ctx:
    """What every route needs: the project root, the store, the build view, the templates."""

    def __init__(self, root: Path, rerender: jobs.Rerender | None = None) -> None:
        self.root = root
        self.rerender = rerender
        self.store = ReviewStore.for_project(root)
        self.view = BuildView(root, self.store)
        self.templates = Jinja2Templates(
            env=Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
        )

    def page(self, request: Request, name: str, **ctx) -> HTMLResponse:
        title, emotions, voices = project_meta(self.root)
        ctx.update(
            project_title=title,
            emotions=emotions,
            voices=voices,
            csrf=request.state.csrf,
            rerender_available=jobs.rerender_available(self.root, self.rerender),
        )
        return self.templates.TemplateResponse(request, name, ctx)

    def reply(self, request: Request, sid: str, outcome: actions.Outcome) -> Response:
        """JSON with the re-rendered sentence row for fetch() callers, else a 303 to the chapter."""
        found = self.view.find_sentence(sid)
        chapter = found[0] if found else None
        if request.headers.get("x-requested-with") != "fetch":
            return RedirectResponse(f"/chapters/{chapter}#s-{sid}" if chapter else "/", status_code=303)
        html = ""
        s = next((x for x in self.view.sentences(chapter) if x.id == sid), None) if chapter else None
        if s is not None:
            _title, emotions, voices = project_meta(self.root)
            html = self.templates.get_template("_sentence.html").render(
                s=s, csrf=request.state.csrf, emotions=emotions, voices=voices
            )
        return JSONResponse(
            {"ok": outcome.ok, "message": outcome.message, "html": html},
            status_code=200 if outcome.ok else 422,
        )

    def sentence_or_404(self, sid: str) -> tuple[int, dict]:
        found = self.view.find_sentence(sid)
        if found is None:
            raise HTTPException(404, f"no rendered sentence {sid!r}")
        return found


def create_app(
    project_root: str | Path,
    token: str | None = None,
    *,
    host: str = "127.0.0.1",
    allow_hosts: tuple[str, ...] = (),
    rerender: jobs.Rerender | None = None,
) -> FastAPI:
    """The app for one project. ``host``: the address it is bound to (with loopback names and
    ``allow_hosts``, the Host headers it answers); ``token``: required from every client when set;
    ``rerender``: how a re-render job renders when no deployment and no preview service can
    (lector.review.jobs; ``lector review`` passes the production flow)."""
    ctx = Ctx(Path(project_root).resolve(), rerender)
    app = FastAPI(title="Lector review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityMiddleware, token=token, host=host, allow_hosts=tuple(allow_hosts))
    app.state.ctx = ctx

    @app.exception_handler(ProjectBusy)
    def busy(request: Request, exc: ProjectBusy) -> JSONResponse:
        """An edit while a render holds the project lock: 409, nothing written."""
        text = f"not saved: {exc.message}" + (f" — {exc.fix}" if exc.fix else "")
        return JSONResponse({"ok": False, "message": text, "html": ""}, status_code=409)

    _register_pages(app, ctx)
    _register_files(app, ctx)
    _register_actions(app, ctx)
    _register_changes(app, ctx)
    _register_jobs(app, ctx)
    register_preview(app, ctx)  # instant preview, takes (lector/review/routes_preview.py)
    register_waveform(app, ctx)  # waveform + loudness (lector/review/routes_waveform.py)
    register_pronounce(app, ctx)  # pronunciation from the page (lector/review/routes_pronounce.py)
    return app


def _register_pages(app: FastAPI, ctx: Ctx) -> None:
    view, store = ctx.view, ctx.store

    @app.get("/", response_class=HTMLResponse)
    def project_page(request: Request):
        return ctx.page(
            request, "project.html", chapters=view.chapters(), jobs=store.jobs(limit=5), qc=view.qc_summary()
        )

    @app.get("/chapters/{n}", response_class=HTMLResponse)
    def chapter_page(request: Request, n: int):
        timeline = view.timeline(n)
        if timeline is None:
            raise HTTPException(404, f"chapter {n} is not rendered")
        sentences = view.sentences(n)
        return ctx.page(
            request,
            "chapter.html",
            n=n,
            timeline=timeline,
            sentences=sentences,
            jobs=store.jobs(n, limit=3),
            todo=[s for s in sentences if s.status == "flagged" or s.pending],
        )

    @app.get("/api/chapters/{n}")
    def chapter_state(n: int):
        if view.timeline(n) is None:
            raise HTTPException(404, f"chapter {n} is not rendered")
        jobs = store.jobs(n, limit=1)
        return {
            "chapter": n,
            "job": jobs[0].__dict__ if jobs else None,
            "sentences": [
                {
                    "id": s.id,
                    "status": s.status,
                    "note": s.note,
                    "pending": s.pending,
                    "cache_key": s.cache_key,
                    "seed": s.seed,
                    "previous_takes": list(s.previous_takes),
                }
                for s in view.sentences(n)
            ],
        }


def _register_files(app: FastAPI, ctx: Ctx) -> None:
    build = ctx.root / "build"

    @app.get("/static/{name}")
    def static(name: str):
        if name not in STATIC_FILES:
            raise HTTPException(404)
        return FileResponse(TEMPLATES_DIR / "static" / name, media_type=STATIC_FILES[name])

    @app.get("/audio/chapters/{n}")
    def chapter_audio(n: int):
        path = safe_path(build, f"chapters/{n:02d}/chapter.flac")
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, media_type="audio/flac")

    @app.get("/audio/takes/{key}")
    def take_audio(key: str):
        path = ctx.view.cache_path(key)
        if path is None or safe_path(build, path.relative_to(build).as_posix()) is None:
            raise HTTPException(404)
        return FileResponse(path, media_type="audio/flac")

    @app.get("/files/{relative:path}")
    def build_file(relative: str):
        path = safe_path(build, relative)
        if path is None or path.suffix.lower() not in (".flac", ".mp3", ".m4b", ".vtt", ".json", ".wav"):
            raise HTTPException(404)
        return FileResponse(path)


def _register_actions(app: FastAPI, ctx: Ctx) -> None:
    store, reply, sentence_or_404 = ctx.store, ctx.reply, ctx.sentence_or_404
    post = [Depends(csrf_protect)]

    @app.post("/sentences/{sid}/approve", dependencies=post)
    def approve(request: Request, sid: str):
        chapter, _ = sentence_or_404(sid)
        store.set_status(sid, chapter, "approved", note="")
        return reply(request, sid, actions.Outcome(True, "approved"))

    @app.post("/sentences/{sid}/flag", dependencies=post)
    def flag(request: Request, sid: str, note: str = Form("")):
        chapter, _ = sentence_or_404(sid)
        store.set_status(sid, chapter, "flagged", note=note.strip()[:2000])
        return reply(request, sid, actions.Outcome(True, "flagged"))

    @app.post("/sentences/{sid}/clear", dependencies=post)
    def clear(request: Request, sid: str):
        chapter, _ = sentence_or_404(sid)
        store.set_status(sid, chapter, "", note="")
        return reply(request, sid, actions.Outcome(True, "cleared"))


def _register_changes(app: FastAPI, ctx: Ctx) -> None:
    """Actions that change what the production flow renders (manuscript, lexicon, overrides)."""
    store, root, reply, sentence_or_404 = ctx.store, ctx.root, ctx.reply, ctx.sentence_or_404
    post = [Depends(csrf_protect)]

    @app.post("/sentences/{sid}/edit", dependencies=post)
    def edit(request: Request, sid: str, text: str = Form(...)):
        chapter, row = sentence_or_404(sid)
        source = ctx.view.plan_source(sid, chapter) or row.get("source", "")
        outcome = actions.edit_text(root, source, row.get("text", ""), text)
        if outcome.ok:
            store.set_pending(sid, chapter, True, "edit", text)
        else:
            store.add_note(sid, "edit", text)
        return reply(request, sid, outcome)

    @app.post("/sentences/{sid}/lexicon", dependencies=post)
    def lexicon(
        request: Request,
        sid: str,
        word: str = Form(...),
        pronunciation: str = Form(...),
        context: str = Form(""),
    ):
        chapter, _ = sentence_or_404(sid)
        outcome = actions.add_lexicon_entry(root, word, pronunciation, context)
        if outcome.ok:
            store.set_pending(sid, chapter, True, "lexicon", outcome.message)
        return reply(request, sid, outcome)

    @app.post("/sentences/{sid}/reroll", dependencies=post)
    def reroll(request: Request, sid: str):
        chapter, _ = sentence_or_404(sid)
        outcome = actions.set_override(root, sid, seed=actions.new_seed())
        store.set_pending(sid, chapter, True, "reroll", outcome.message)
        return reply(request, sid, outcome)

    @app.post("/sentences/{sid}/emotion", dependencies=post)
    def emotion(request: Request, sid: str, emotion: str = Form(...)):
        chapter, _ = sentence_or_404(sid)
        if emotion not in project_meta(root)[1]:
            return reply(request, sid, actions.Outcome(False, f"unknown emotion {emotion!r}"))
        outcome = actions.set_override(root, sid, emotion=emotion)
        store.set_pending(sid, chapter, True, "emotion", emotion)
        return reply(request, sid, outcome)

    @app.post("/sentences/{sid}/voice", dependencies=post)
    def voice(request: Request, sid: str, voice: str = Form(...)):
        chapter, _ = sentence_or_404(sid)
        cast = project_meta(root)[2]
        if cast and voice not in cast:
            return reply(request, sid, actions.Outcome(False, f"unknown voice {voice!r}"))
        outcome = actions.set_override(root, sid, voice=voice)
        store.set_pending(sid, chapter, True, "voice", voice)
        return reply(request, sid, outcome)


def _start_rerender(ctx: Ctx, n: int) -> actions.Outcome:
    """Start a re-render job for chapter ``n``'s flagged and changed sentences, or say why not."""
    store, root = ctx.store, ctx.root
    todo = [s for s in ctx.view.sentences(n) if s.status == "flagged" or s.pending]
    running = [j for j in store.jobs(n, limit=1) if j.status == "running"]
    if running:
        return actions.Outcome(False, f"re-render job {running[0].id} is still running")
    if not todo:
        return actions.Outcome(False, "nothing to re-render: no flagged or changed sentence")
    if not jobs.rerender_available(root, ctx.rerender):
        return actions.Outcome(False, "the production flow is not available here")
    for s in todo:
        if not s.pending:  # flagged take, nothing changed: a new seed gives a new take
            actions.set_override(root, s.id, seed=actions.new_seed())
            store.log(s.id, "reroll", "automatic for a flagged take")
    job = jobs.start_rerender(root, store, n, [(s.id, s.cache_key, s.seed) for s in todo], ctx.rerender)
    return actions.Outcome(True, f"re-render job {job} started for {len(todo)} sentence(s)")


def _register_jobs(app: FastAPI, ctx: Ctx) -> None:
    store, root = ctx.store, ctx.root
    post = [Depends(csrf_protect)]

    @app.post("/chapters/{n}/rerender", dependencies=post)
    def rerender(request: Request, n: int):
        outcome = _start_rerender(ctx, n)
        if request.headers.get("x-requested-with") != "fetch":
            return RedirectResponse(f"/chapters/{n}", status_code=303)
        return JSONResponse(
            {"ok": outcome.ok, "message": outcome.message}, status_code=200 if outcome.ok else 422
        )

    @app.post("/voices/{name}/clips", dependencies=post)
    async def upload_clip(
        request: Request,
        name: str,
        file: UploadFile,
        transcript: str = Form(""),
        emotion: str = Form("neutral"),
    ):
        """With a transcript the clip is validated into the voice (as `lector voice add`): 201, or
        422 with the measured value and the fix; without one it is kept in uploads/ for later."""
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise HTTPException(413, "clip too large (20 MB at most)")
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, "clip too large (20 MB at most)")
        refused = actions.check_upload(name, data)
        if isinstance(refused, actions.Outcome):
            raise HTTPException(415 if "WAV" in refused.message else 400, refused.message)
        if transcript.strip():  # validation loads the speaker encoder: off the event loop
            outcome = await run_in_threadpool(actions.add_clip, root, name, data, transcript, emotion)
        else:
            outcome = actions.save_clip(root, name, data)
        if not outcome.ok:
            return JSONResponse({"ok": False, "message": outcome.message}, status_code=422)
        store.log(None, "clip-upload", outcome.message)
        return JSONResponse({"ok": True, "message": outcome.message}, status_code=201)
