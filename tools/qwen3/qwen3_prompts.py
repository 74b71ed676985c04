"""The Qwen3-Embedding / Qwen3-Reranker prompt formats, as the model cards write them."""

DEFAULT_EMBED_TASK = "Given a web search query, retrieve relevant passages that answer the query"
DEFAULT_RERANK_INSTRUCTION = DEFAULT_EMBED_TASK
RERANK_PREFIX = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query "
    "and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
    "<|im_start|>user\n")
RERANK_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"


def format_query(instruction, text):
    return text if instruction is None else f"Instruct: {instruction}\nQuery:{text}"


def format_rerank_body(instruction, query, doc):
    if instruction is None:
        instruction = DEFAULT_RERANK_INSTRUCTION
    return f"<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {doc}"
