"""Clean config: one shared, fixed-length generation setting for every benchmark arm."""
MODEL_ID = "mistralai/Mistral-7B-Instruct-v0.2"
NEW_TOKENS = 200
WARMUP = 3
ROUNDS = 7

GEN_KWARGS = {
    "max_new_tokens": NEW_TOKENS,
    "min_new_tokens": NEW_TOKENS,
    "do_sample": False,
}

# prompt-lookup decoding shines when the answer copies from the prompt, as code edits do
PROMPT = (
    "Rewrite the following function to use a dictionary lookup instead of if/elif:\n"
    "def f(x):\n"
    "    if x == 1:\n"
    "        return 'a'\n"
    "    elif x == 2:\n"
    "        return 'b'\n"
    "    elif x == 3:\n"
    "        return 'c'\n"
    "    return None\n"
)
