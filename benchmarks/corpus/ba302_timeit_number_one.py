"""BA302: timeit.timeit(..., number=1) reports one sample of a Whisper transcription as the latency."""
import timeit

import torch
from transformers import pipeline

asr = pipeline(
    "automatic-speech-recognition",
    model="openai/whisper-large-v3",
    torch_dtype=torch.float16,
    device="cuda",
)
audio = [f"librispeech_sample_{i}.flac" for i in range(16)]


def transcribe():
    out = asr(audio, batch_size=16, generate_kwargs={"language": "english"})
    torch.cuda.synchronize()
    return out


for _ in range(3):
    transcribe()
torch.cuda.synchronize()

seconds = timeit.timeit(transcribe, number=1)  # expect: BA302
print(f"transcribed {len(audio)} clips in {seconds:.2f}s ({seconds / len(audio):.3f} s/clip)")
