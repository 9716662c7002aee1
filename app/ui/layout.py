"""The page layout: chat beside its sources, conversations in a side panel, the articles tab.

All page text is Chinese whatever the browser's language: gradio's own labels (upload area, copy and
like buttons, API link) are given Chinese text for every locale through gr.I18n (see I18N).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr  # this module is imported only when the page is served

from app.ingest.read import SUPPORTED
from app.ui.render import CSS, sources_pane

INTRO = "就郑州“三标”活动系列报道提问（中文或英文）。答案只引用原文，每句标注出处 [n]，点击编号查看原文。"

# Gradio's built-in strings that this page shows, in Chinese.
_ZH = {
    "upload_text.drop_file": "将文件拖放到此处", "upload_text.click_to_upload": "点击上传", "upload_text.or": "或",
    "common.or": "或", "common.clear": "清除", "common.download": "下载", "common.remove": "移除", "common.loading": "加载中",
    "common.built_with_gradio": "使用 Gradio 构建", "common.built_with": "构建于", "common.settings": "设置",
    "common.empty": "空", "common.error": "错误", "common.edit": "编辑", "common.submit": "提交", "common.undo": "撤销",
    "common.download_all": "全部下载", "common.copy": "复制", "common.copied": "已复制",
    "errors.use_via_api": "通过 API 使用", "errors.use_via_api_or_mcp": "通过 API 使用",
    "chatbot.copy_message": "复制", "chatbot.copied_message": "已复制", "chatbot.like": "有用", "chatbot.dislike": "没用",
    "chatbot.clear": "新对话", "chatbot.retry": "重试", "chatbot.undo": "撤销", "chatbot.edit": "编辑",
    "chatbot.submit": "发送", "chatbot.cancel": "取消", "chatbot.complete": "完成", "chatbot.conversation": "对话",
    "file.uploading": "正在上传…", "dropdown.dropdown": "下拉菜单", "dataframe.sort_column": "排序",
    "blocks.waiting_for_inputs": "正在等待文件上传完成，请稍后重试。", "blocks.lost_connection": "连接已断开，正在重新连接…",
}
I18N = gr.I18n(**{locale: _ZH for locale in (
    "en", "en-US", "en-GB", "de", "fr", "es", "it", "ja", "ko", "ru", "pt", "nl", "pl", "tr", "ar", "zh", "zh-CN", "zh-TW")})

# Copy buttons and [n] links inside chat messages (delegated, so new messages need no wiring).
HEAD = """<script>
window.bgCopyText = async (text) => {
  try { await navigator.clipboard.writeText(text); return; } catch (e) {}
  const area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
  area.select(); document.execCommand('copy'); area.remove();
};
document.addEventListener('click', (event) => {
  const copy = event.target.closest('.bg-copy');
  if (copy) {
    event.preventDefault(); event.stopPropagation();
    const plain = copy.closest('.message-content, .message, [data-testid=bot]')?.querySelector('.bg-plain');
    window.bgCopyText(plain ? plain.textContent : ''); copy.textContent = '已复制';
    setTimeout(() => { copy.textContent = '复制此回答'; }, 1500);
    return;
  }
  const link = event.target.closest('a[href^="#source-"]');
  const pane = document.getElementById('bg-sources');
  if (link && (!pane || pane.offsetParent === null)) {  // a phone: the cards are under each answer
    event.preventDefault(); event.stopPropagation();
    const id = 'm' + link.getAttribute('href').slice(1);
    const card = document.getElementById(id);
    if (card) { const box = card.closest('details'); if (box) box.open = true; location.hash = id; }
  }
}, true);
</script>"""


def sign_in_message(attempts: int, window_s: float) -> str:
    """Shown above gradio's sign-in form (BIAOGAN_AUTH). The form is gradio's own, in the browser's
    language, and says only "Incorrect Credentials" when app.limits.LoginLimit refuses a sign-in after
    too many failures, even with the right password: this says why."""
    return (f"请输入用户名和密码登录。连续输错 {attempts} 次后，需等待 {window_s:g} 秒才能再次登录"
            "（等待期间即使密码正确也会显示登录失败）。")


def launch_options() -> dict[str, Any]:
    """What Blocks.launch needs for this page: its CSS, script and Chinese labels."""
    return {"css": CSS, "head": HEAD, "i18n": I18N}


def _chat_tab(examples: list[str]) -> SimpleNamespace:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            # No LaTeX: "$$" in an article is text, not a formula. The copy button of each answer is
            # its own (复制此回答): gradio's would copy the Markdown source with its link anchors.
            chat = gr.Chatbot(label="对话", show_label=False, height="62vh", sanitize_html=True, render_markdown=True,
                              latex_delimiters=[], buttons=[], feedback_options=("Like", "Dislike"), elem_id="bg-chat",
                              placeholder="提问后，答案和它引用的原文会显示在这里。")
            with gr.Row(elem_id="bg-ask-row"):
                box = gr.Textbox(placeholder="例如：发改委提出的固定资产投资目标是多少？", show_label=False, scale=5,
                                 autofocus=True, elem_id="bg-question", max_length=2000)
                send = gr.Button("提问", variant="primary", scale=1, min_width=72, elem_id="bg-send")
        with gr.Column(scale=2, min_width=280):
            sources = gr.HTML(sources_pane([]), elem_id="bg-sources")
    with gr.Row():
        copy_all = gr.Button("复制全部简报", size="sm", elem_id="bg-copy-all")
        export_md = gr.Button("导出 Markdown", size="sm", elem_id="bg-export-md")
        export_docx = gr.Button("导出 Word", size="sm", elem_id="bg-export-docx")
    exported = gr.File(label="导出文件", interactive=False, visible=False, elem_id="bg-exported")
    gr.Examples(examples=[[q] for q in examples], inputs=[box], label="示例问题")
    with gr.Accordion("筛选", open=False):
        article_filter = gr.Dropdown([], multiselect=True, label="只看这些文章")
        speaker_filter = gr.Dropdown([], multiselect=True, label="只看这些发言人")
    with gr.Accordion("简报全文", open=False, elem_id="bg-briefing-box"):
        briefing = gr.Textbox(label="简报（纯文本，可直接粘贴）", show_label=True, lines=8, interactive=False, elem_id="bg-briefing")
    with gr.Accordion("意见", open=False):
        comment = gr.Textbox(label="意见（可选）", lines=2, elem_id="bg-comment")
        send_comment = gr.Button("提交意见")
        thanks = gr.Markdown()
    return SimpleNamespace(**locals())


def _articles_tab() -> SimpleNamespace:
    table = gr.Dataframe([], headers=["标题", "日期", "栏目数", "段落数", "文件"], interactive=False, wrap=True, elem_id="bg-articles")
    uploads = gr.File(label=f"添加文章（{' '.join(SUPPORTED)}）", file_count="multiple", file_types=list(SUPPORTED), elem_id="bg-upload")
    add = gr.Button("添加并更新索引", variant="primary", elem_id="bg-add")
    with gr.Row():
        to_remove = gr.Dropdown([], value=None, label="移除文章（先选一篇）", elem_id="bg-remove-choice", scale=4)
        remove = gr.Button("移除…", variant="secondary", elem_id="bg-remove", scale=1)
    corpus_status = gr.Markdown(elem_id="bg-corpus-status")
    with gr.Column(visible=False, elem_id="bg-confirm") as dialog:
        question = gr.Markdown(elem_id="bg-confirm-text")
        with gr.Row():
            confirm = gr.Button("确认", variant="stop", elem_id="bg-confirm-yes")
            cancel = gr.Button("取消", elem_id="bg-confirm-no")
    pending = gr.State("")
    return SimpleNamespace(**locals())


def layout(handlers: Any, examples: list[str]) -> gr.Blocks:
    """Build the Blocks; every document or answer text reaches the page escaped (see ui_render)."""
    with gr.Blocks(title="标杆 biaogan", analytics_enabled=False) as demo:
        with gr.Row(elem_id="bg-top"):
            gr.Markdown(f"## 标杆 · biaogan\n{INTRO}")
            new_chat = gr.Button("＋ 新对话", size="sm", variant="primary", elem_id="bg-newchat", scale=0, min_width=96)
        turns, answers, conversation, question_sent = gr.State([]), gr.State([]), gr.State(None), gr.State("")
        with gr.Sidebar(label="历史对话", open=False, elem_id="bg-sidebar"):
            history = gr.Radio([], label="历史对话（点击重新打开）", elem_id="bg-history")
            if not handlers.conversations.enabled:
                gr.Markdown("对话保存已关闭（BIAOGAN_KEEP_CONVERSATIONS=false）。")
        with gr.Tab("问答", id="ask"):
            c = _chat_tab(examples)
        with gr.Tab("文章", id="articles"):
            a = _articles_tab()
        footer = gr.HTML(elem_id="bg-status")

        page = SimpleNamespace(c=c, a=a, turns=turns, answers=answers, conversation=conversation, sent=question_sent,
                               history=history, footer=footer, new_chat=new_chat)
        _wire_chat(handlers, page)
        _wire_articles(handlers, page)
        demo.load(lambda: _refreshed(handlers), None, [a.table, a.to_remove, c.article_filter, c.speaker_filter, footer, history],
                  api_visibility="private")
        # One answer worker: each answer already uses both cores; measured under 20 clients, a second
        # worker added memory (1369 -> 1456 MB) and lowered throughput (12.5 -> 10.8 questions/s).
        gr.api(handlers.ask_api, api_name="ask", concurrency_id="answer", concurrency_limit=1)
    return demo


def _refreshed(handlers: Any) -> tuple[Any, ...]:
    """What every page (and every page after a corpus change) shows of the current articles."""
    pipeline = handlers.pipeline
    speakers = sorted({f"{ch.position}{ch.speaker}" for ch in pipeline.index.people() if ch.speaker})
    return (handlers.article_table(), gr.update(choices=handlers.article_choices(), value=None),
            gr.update(choices=[x["title"] for x in pipeline.index.articles]), gr.update(choices=speakers),
            handlers.status(), gr.update(choices=handlers.history_choices(), value=None))


def _wire_chat(handlers: Any, p: SimpleNamespace) -> None:
    c = p.c
    # respond's last value (an empty box) goes to a sink: `start` already cleared the box, and a late
    # copy of the finished event must not wipe a question typed meanwhile.
    outputs = [c.chat, c.sources, p.turns, p.answers, c.briefing, gr.State("")]
    # A new question clears the #source-… left in the address bar by the last citation clicked.
    # replaceState alone leaves the clicked card as the :target in Chromium; moving the fragment to
    # an id no element has (same-document, no history entry, no scroll) clears it first.
    clear_hash = (
        "(...args) => { if (location.hash) { const y = window.scrollY; location.replace('#bg-none');"
        " history.replaceState(null, '', location.pathname + location.search); window.scrollTo(0, y); } return args; }"
    )
    for trigger in (c.send.click, c.box.submit):
        # The question shows at once with 正在检索…; the answer worker then replaces the placeholder.
        trigger(handlers.start, [c.box, c.chat, p.conversation], [c.chat, c.box, p.sent, p.conversation], api_visibility="private",
                queue=False, show_progress="hidden", js=clear_hash
                ).success(handlers.respond, [p.sent, c.chat, p.turns, p.answers, c.article_filter, c.speaker_filter, p.conversation],
                          outputs, api_visibility="private", concurrency_id="answer", concurrency_limit=1, show_progress="hidden"
                          ).then(lambda: gr.update(choices=handlers.history_choices(), value=None), None, p.history,
                                 api_visibility="private", show_progress="hidden")

    def on_like(data: gr.LikeData, answered: list[Any], note: str, chat: list[Any]) -> list[Any]:
        return handlers.like(data, answered, note, chat)

    c.chat.like(on_like, [p.answers, c.comment, c.chat], c.chat, api_visibility="private", show_progress="hidden")
    c.send_comment.click(handlers.comment, [p.answers, c.comment], [c.thanks, c.comment], api_visibility="private")
    for button, kind in ((c.export_md, "md"), (c.export_docx, "docx")):
        button.click(lambda a, k=kind: gr.update(value=handlers.export(a, k), visible=True), [p.answers], c.exported,
                     api_visibility="private")
    c.copy_all.click(None, [c.briefing], None, js="(text) => { window.bgCopyText(text || ''); }")
    fresh = [*outputs[:-1], c.box, p.conversation, c.exported]

    def hidden_export(values: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*values[:-1], gr.update(value=None, visible=False))  # the last conversation's export goes too

    p.new_chat.click(lambda: hidden_export(handlers.new_conversation()), None, fresh, api_visibility="private", show_progress="hidden")
    c.chat.clear(lambda: hidden_export(handlers.new_conversation()), None, fresh, api_visibility="private", show_progress="hidden")
    p.history.input(lambda cid: hidden_export(handlers.open_conversation(cid)), [p.history], fresh, api_visibility="private",
                    show_progress="hidden")


def _wire_articles(handlers: Any, p: SimpleNamespace) -> None:
    a = p.a
    shown = [a.table, a.to_remove, p.c.article_filter, p.c.speaker_filter, p.footer, p.history]

    def upload(files: list[Any] | None, replace: bool, progress: gr.Progress) -> tuple[Any, ...]:
        line = handlers.add_files(files, replace, lambda f, m: progress(f, desc=m))
        return (gr.update(), f"✓ {line}", None, gr.update(visible=False), "")

    def begin_upload(files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        action, question = handlers.plan_upload(files)
        if action:  # the batch would replace an article: the dialog names it and asks first
            return (question, "", gr.update(), gr.update(visible=True), action)
        return upload(files, False, progress)

    def ask_removal(source: str | None) -> tuple[Any, ...]:
        return handlers.plan_removal(source), gr.update(visible=True), f"remove:{source}"

    def confirmed(action: str, files: list[Any] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        if action.startswith("remove:"):
            line = handlers.remove(action[len("remove:"):], lambda f, m: progress(f, desc=m))
            return (gr.update(), f"✓ {line}", gr.update(), gr.update(visible=False), "")
        if action == "replace":
            return upload(files, True, progress)
        return (gr.update(), "", gr.update(), gr.update(visible=False), "")

    after = [a.question, a.corpus_status, a.uploads, a.dialog, a.pending]
    refresh = {"fn": lambda: _refreshed(handlers), "inputs": None, "outputs": shown, "api_visibility": "private"}
    a.add.click(begin_upload, [a.uploads], after, api_visibility="private", concurrency_limit=1, concurrency_id="corpus"
                ).then(**refresh)
    a.remove.click(ask_removal, [a.to_remove], [a.question, a.dialog, a.pending], api_visibility="private")
    a.confirm.click(lambda: gr.update(visible=False), None, a.dialog, api_visibility="private", queue=False).then(
        confirmed, [a.pending, a.uploads], after, api_visibility="private", concurrency_limit=1, concurrency_id="corpus").then(**refresh)
    a.cancel.click(lambda: (gr.update(visible=False), "", "已取消。"), None, [a.dialog, a.pending, a.corpus_status],
                   api_visibility="private", queue=False)
