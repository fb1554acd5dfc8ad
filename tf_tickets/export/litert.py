"""Running TFLite files with the standalone LiteRT interpreter (`ai-edge-litert`), as a device would.

Two ways to run a file: with LiteRT's default delegate (XNNPack on CPU) and with the builtin kernels
only (`BUILTIN_WITHOUT_DEFAULT_DELEGATES`). Sparse int8 files can fail to prepare, or run wrongly,
under XNNPack, so export checks a file under each and records which one it ships for.
"""
import statistics
import time
from typing import Dict, List, Optional

import numpy as np

from tf_tickets.errors import TicketsError
from tf_tickets.quiet import native_logs

XNNPACK = "xnnpack"  # LiteRT's default: XNNPack delegate where it takes the graph
BUILTIN = "builtin"  # LiteRT's builtin kernels, no default delegate
RUNTIMES = (XNNPACK, BUILTIN)


def interpreter(content: bytes, runtime: str, batch: Optional[int] = None, threads: int = 1):
    """A ready interpreter for the file's bytes; raises RuntimeError when the runtime cannot prepare it."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        raise TicketsError("checking TFLite files needs LiteRT: pip install 'tf_tickets[export]' "
                           "(ai-edge-litert)") from None

    resolver = OpResolverType.AUTO if runtime == XNNPACK else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with native_logs():
        runner = Interpreter(model_content=content, num_threads=threads, experimental_op_resolver_type=resolver)
        if batch is not None:
            shape = list(runner.get_input_details()[0]["shape"])
            runner.resize_tensor_input(runner.get_input_details()[0]["index"], [batch] + shape[1:])
        runner.allocate_tensors()
    return runner


def predict(content: bytes, runtime: str, x: np.ndarray, batch: int = 32) -> np.ndarray:
    """The file's outputs for `x` (float inputs; a quantised file keeps float inputs and outputs)."""
    runner = interpreter(content, runtime, batch)
    source, target = runner.get_input_details()[0]["index"], runner.get_output_details()[0]["index"]
    outputs = []
    for start in range(0, len(x), batch):
        chunk = x[start:start + batch]
        if len(chunk) < batch:  # the last partial batch: a new interpreter sized for it
            runner = interpreter(content, runtime, len(chunk))
            source, target = runner.get_input_details()[0]["index"], runner.get_output_details()[0]["index"]
        runner.set_tensor(source, chunk.astype(np.float32))
        runner.invoke()
        outputs.append(runner.get_tensor(target).copy())
    return np.concatenate(outputs)


def latency_ms(content: bytes, runtime: str, example: np.ndarray, repeats: int = 50, warmup: int = 5) -> float:
    """Median wall time of one batch-1 invocation on one thread, in milliseconds."""
    runner = interpreter(content, runtime, batch=1)
    runner.set_tensor(runner.get_input_details()[0]["index"], example[None].astype(np.float32))
    times: List[float] = []
    for i in range(warmup + repeats):
        started = time.perf_counter()
        runner.invoke()
        if i >= warmup:
            times.append(time.perf_counter() - started)
    return 1000.0 * statistics.median(times)


_WEIGHT_INPUT = {"FULLY_CONNECTED": 1, "CONV_2D": 1, "DEPTHWISE_CONV_2D": 1, "TRANSPOSE_CONV": 1}


def weight_counts(content: bytes) -> Dict[str, int]:
    """Non-zero and total weights of the file's fully-connected and convolution kernels, read from the
    stored tensors (a sparse tensor counts its stored values; a densified one is traced to its source)."""
    runner = interpreter(content, BUILTIN)
    ops = runner._get_ops_details()  # noqa: SLF001 (LiteRT's only view of the graph)
    tensors = {d["index"]: d for d in runner.get_tensor_details()}
    densified = {op["outputs"][0]: op["inputs"][0] for op in ops if op["op_name"] == "DENSIFY"}
    nonzero = total = 0
    for op in ops:
        position = _WEIGHT_INPUT.get(op["op_name"])
        if position is None or len(op["inputs"]) <= position:
            continue
        index = densified.get(op["inputs"][position], op["inputs"][position])
        values = runner.get_tensor(index)
        nonzero += int(np.count_nonzero(values))
        total += int(np.prod(tensors[index]["shape"]))
    return {"nonzero": nonzero, "total": total}


def operators(content: bytes) -> List[str]:
    """The file's operator names in graph order (DENSIFY shows which sparse kernels run dense)."""
    return [op["op_name"] for op in interpreter(content, BUILTIN)._get_ops_details()]  # noqa: SLF001
