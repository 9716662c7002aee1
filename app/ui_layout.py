"""The page layout: chat and source cards side by side, filters, export, feedback, articles tab."""

from __future__ import annotations

from typing import Any

import gradio as gr  # this module is imported only when the page is served

from app.ingest import SUPPORTED
from app.ui_render import source_cards

INTRO = "就郑州“三标”活动系列报道提问（中文或英文）。答案只引用原文，每句标注出处 [n]，点击编号查看原文。"


def layout(handlers: Any, examples: list[str]) -> gr.Blocks:
    """Build the Blocks; every document or answer text reaches the page escaped (see ui_render)."""
    speakers = sorted({f"{c.position}{c.speaker}" for c in handlers.pipeline.index.people() if c.speaker})
    titles = [a["title"] for a in handlers.pipeline.index.articles]
    with gr.Blocks(title="标杆 biaogan", analytics_enabled=False) as demo:
        gr.Markdown(f"## 标杆 · biaogan\n{INTRO}")
        turns, answers = gr.State([]), gr.State([])
        with gr.Tab("问答", id="ask"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    # No LaTeX: "$$" in an article is text, not a formula.
                    chat = gr.Chatbot(label="对话", show_label=False, height=520, sanitize_html=True, render_markdown=True,
                                      latex_delimiters=[], buttons=["copy"], feedback_options=("Like", "Dislike"), elem_id="bg-chat")
                    with gr.Row():
                        box = gr.Textbox(placeholder="例如：发改委提出的固定资产投资目标是多少？", show_label=False, scale=5,
                                         autofocus=True, elem_id="bg-question", max_length=2000)
                        send = gr.Button("提问", variant="primary", scale=1, elem_id="bg-send")
                with gr.Column(scale=2, min_width=280):
                    sources = gr.HTML(source_cards(None), elem_id="bg-sources")
            # Below the chat and its sources, so a phone shows the sources right after the answer.
            gr.Examples(examples=[[q] for q in examples], inputs=[box], label="示例问题")
            with gr.Accordion("筛选", open=False):
                article_filter = gr.Dropdown(titles, multiselect=True, label="只看这些文章")
                speaker_filter = gr.Dropdown(speakers, multiselect=True, label="只看这些发言人")
            with gr.Accordion("简报与导出", open=False):
                briefing = gr.Textbox(label="简报格式（可复制）", lines=8, interactive=False, buttons=["copy"], elem_id="bg-briefing")
                with gr.Row():
                    export_md = gr.Button("导出对话 Markdown", elem_id="bg-export-md")
                    export_docx = gr.Button("导出对话 Word", elem_id="bg-export-docx")
                exported = gr.File(label="导出文件", interactive=False, elem_id="bg-exported")
            with gr.Accordion("反馈", open=False):
                comment = gr.Textbox(label="意见（可选）", lines=2, elem_id="bg-comment")
                send_comment = gr.Button("提交意见")
                thanks = gr.Markdown()
            clear = gr.Button("新对话", size="sm")
        with gr.Tab("文章", id="articles"):
            table = gr.Dataframe(handlers.article_table(), headers=["标题", "日期", "栏目数", "段落数", "文件"],
                                 interactive=False, wrap=True, elem_id="bg-articles")
            uploads = gr.File(label=f"添加文章（{' '.join(SUPPORTED)}）", file_count="multiple",
                              file_types=list(SUPPORTED), elem_id="bg-upload")
            add = gr.Button("添加并更新索引", variant="primary")
            with gr.Row():
                to_remove = gr.Dropdown([a["source"] for a in handlers.pipeline.index.articles], label="移除文章")
                remove = gr.Button("移除", variant="stop")
            corpus_status = gr.Markdown()
        footer = gr.Markdown(handlers.status(), elem_id="bg-status")

        outputs = [chat, sources, turns, answers, briefing, box]
        inputs = [box, chat, turns, answers, article_filter, speaker_filter]
        # A new question clears the #source-… left in the address bar by the last citation clicked.
        # replaceState alone leaves the clicked card as the :target in Chromium; moving the fragment to
        # an id no element has (same-document, no history entry, no scroll) clears it first.
        clear_hash = (
            "(...args) => { if (location.hash) { const y = window.scrollY; location.replace('#bg-none');"
            " history.replaceState(null, '', location.pathname + location.search); window.scrollTo(0, y); } return args; }"
        )
        for trigger in (send.click, box.submit):
            trigger(handlers.respond, inputs, outputs, api_visibility="private", concurrency_id="answer", concurrency_limit=1, js=clear_hash)
        def on_like(data: gr.LikeData, answered: list[Any], note: str) -> str:
            return handlers.like(data, answered, note)

        chat.like(on_like, [answers, comment], thanks, api_visibility="private")
        send_comment.click(handlers.comment, [answers, comment], [thanks, comment], api_visibility="private")
        export_md.click(lambda a: handlers.export(a, "md"), [answers], exported, api_visibility="private")
        export_docx.click(lambda a: handlers.export(a, "docx"), [answers], exported, api_visibility="private")
        clear.click(lambda: ([], source_cards(None), [], [], "", ""), None, outputs, api_visibility="private")
        add.click(handlers.add_files, [uploads], [table, corpus_status, to_remove], api_visibility="private", concurrency_limit=1
                  ).then(handlers.status, None, footer, api_visibility="private")
        remove.click(handlers.remove, [to_remove], [table, corpus_status, to_remove], api_visibility="private", concurrency_limit=1
                     ).then(handlers.status, None, footer, api_visibility="private")
        # One answer worker: each answer already uses both cores; measured under 20 clients, a second
        # worker added memory (1369 -> 1456 MB) and lowered throughput (12.5 -> 10.8 questions/s).
        gr.api(handlers.ask_api, api_name="ask", concurrency_id="answer", concurrency_limit=1)
    return demo
