#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/corpus/<target>/: one file per named scenario.

Each seed is the byte string that the `arbitrary` crate (1.5, see fuzz/Cargo.lock)
decodes into the scenario's `Input`: integers little-endian; a `bool` is one byte's low
bit; an `Option` is a `bool` and then the value; a `Vec` is, before each element, a
byte whose low bit says "one more"; a derived enum is a `u32` whose variant is
`(u32 * variant_count) >> 32`; the last field of a struct takes the rest of the input.
The encoders below mirror the `Input` types of fuzz_targets/*.rs field by field: when
those types change, change them here and rerun. Check a seed with
`cargo +nightly fuzz fmt <target> fuzz/corpus/<target>/<seed>`.

Run from anywhere: `python3 fuzz/make_seeds.py` (it rewrites the three corpus dirs).
"""

import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


# --- arbitrary 1.5 encoding ------------------------------------------------------------

def u8(v):
    return struct.pack("<B", v)


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def f64(v):
    return struct.pack("<d", v)


def boolean(v):
    return u8(1 if v else 0)


def variant(index, count):
    """The smallest u32 that the derive maps to variant `index` of `count`."""
    value = -(-(index << 32) // count)  # ceil(index * 2^32 / count)
    assert (value * count) >> 32 == index
    return u32(value)


def option(value):
    return boolean(False) if value is None else boolean(True) + value


def vec(items):
    return b"".join(b"\x01" + item for item in items) + b"\x00"


# --- queue_ops -------------------------------------------------------------------------

I, B = 0, 1  # Prio::Interactive, Prio::Batch
REJECT, DROP_LRU = 0, 1


def prio(p):
    return variant(p, 2)


class Q:
    """queue_ops::Op (10 variants, in declaration order)."""

    N = 10

    @staticmethod
    def enq(id_, p):
        return variant(0, Q.N) + u8(id_) + prio(p)

    deq = variant(1, N)
    deq_blocking = variant(2, N)
    deq_async = variant(3, N)

    @staticmethod
    def cancel(id_):
        return variant(4, Q.N) + u8(id_)

    @staticmethod
    def snapshot(p):
        return variant(5, Q.N) + prio(p)

    @staticmethod
    def position(id_):
        return variant(6, Q.N) + u8(id_)

    @staticmethod
    def contains(id_):
        return variant(7, Q.N) + u8(id_)

    length = variant(8, N)
    close = variant(9, N)


def queue_input(capacity, policy, ops):
    # capacity byte: < 0xF0 maps to byte % 9; 0xF0 + k maps to 9 + k.
    cap_byte = capacity if capacity <= 8 else 0xF0 + (capacity - 9)
    return u8(cap_byte) + variant(policy, 2) + vec(ops)


def views(*ids):
    """Snapshot both lanes and the position and presence of each id."""
    out = [Q.snapshot(I), Q.snapshot(B), Q.length]
    for id_ in ids:
        out += [Q.position(id_), Q.contains(id_)]
    return out


QUEUE_OPS = {
    "cap0_reject": queue_input(0, REJECT, [Q.enq(1, B), Q.enq(2, I), Q.deq, Q.cancel(1), Q.deq_async] + views(1)),
    "cap0_droplru": queue_input(0, DROP_LRU, [Q.enq(1, B), Q.enq(2, I), Q.deq_blocking, Q.close, Q.enq(3, B)]),
    "cap1_reject_full": queue_input(1, REJECT, [Q.enq(1, B), Q.enq(2, B), Q.enq(1, I), Q.deq, Q.enq(2, B)] + views(1, 2)),
    "cap1_droplru_chain": queue_input(1, DROP_LRU, [Q.enq(1, B), Q.enq(2, I), Q.enq(3, I), Q.enq(4, B)] + views(3, 4) + [Q.deq]),
    "cap2_droplru_batch_first": queue_input(2, DROP_LRU, [Q.enq(1, I), Q.enq(2, B), Q.enq(3, I), Q.enq(4, B), Q.enq(5, B)] + views(1, 3, 5)),
    "duplicate_then_reenqueue": queue_input(4, REJECT, [Q.enq(5, B), Q.enq(5, I), Q.cancel(5), Q.enq(5, I)] + views(5) + [Q.deq, Q.deq]),
    "cancel_middle": queue_input(8, REJECT, [Q.enq(1, B), Q.enq(2, I), Q.enq(3, B), Q.enq(4, I), Q.enq(5, B), Q.enq(6, I), Q.cancel(3), Q.cancel(4)] + views(1, 2, 5, 6) + [Q.deq] * 5),
    "evict_skips_dead_slot": queue_input(2, DROP_LRU, [Q.enq(1, B), Q.enq(2, B), Q.cancel(1), Q.enq(3, B), Q.enq(4, B)] + views(2, 3, 4)),
    "close_drain": queue_input(4, REJECT, [Q.enq(1, B), Q.enq(2, I), Q.close, Q.enq(3, B), Q.deq_async, Q.deq_blocking, Q.deq, Q.deq_async, Q.deq_blocking] + views(1)),
    "same_id_dead_slot_in_lane": queue_input(3, REJECT, [Q.enq(7, B), Q.cancel(7), Q.enq(7, B), Q.cancel(7), Q.enq(7, B)] + views(7) + [Q.deq, Q.deq]),
    "async_pending_then_ready": queue_input(2, REJECT, [Q.deq_async, Q.deq_blocking, Q.enq(1, I), Q.deq_async, Q.deq_async, Q.close, Q.deq_async]),
    "interactive_only_evict": queue_input(2, DROP_LRU, [Q.enq(1, I), Q.enq(2, I), Q.cancel(1), Q.enq(3, I), Q.enq(4, I)] + views(2, 3, 4)),
    "full_droplru_duplicate": queue_input(1, DROP_LRU, [Q.enq(1, B), Q.enq(1, B), Q.enq(1, I), Q.enq(2, I)] + views(1, 2)),
    "closed_duplicate_order": queue_input(2, DROP_LRU, [Q.enq(1, B), Q.close, Q.enq(1, I), Q.enq(2, I)] + views(1) + [Q.deq, Q.enq(1, B)]),
    "cap24_churn": queue_input(24, DROP_LRU, [Q.enq(i % 16, i % 2) for i in range(40)] + [Q.cancel(i) for i in range(0, 16, 3)] + views(0, 1, 2, 4, 15) + [Q.deq] * 10),
    "cap8_reject_mixed": queue_input(8, REJECT, [Q.enq(i, (i // 3) % 2) for i in range(10)] + [Q.cancel(2), Q.deq, Q.enq(12, I), Q.deq_blocking] + views(3, 5, 12)),
}


# --- placement -------------------------------------------------------------------------

def word(index):
    return variant(0, 2) + u8(index)  # Word::Pick(index)


def tokens_small(v):
    return variant(0, 2) + u8(v)


def gib(v):
    return variant(0, 3) + u8(v)  # Bytes::Gib


def bytes_raw(v):
    return variant(1, 3) + u64(v)


BYTES_MAX = variant(2, 3)


def cc_small(major, minor):  # maps to (major % 4 + 7).(minor % 12)
    return variant(0, 2) + u8(major) + u8(minor)


def mask_small(v):
    return variant(0, 2) + u8(v)


def fig_whole(v):
    return variant(0, 4) + u16(v)


def fig_tenths(v):
    return variant(1, 4) + u16(v)


def fig_special(i):
    # 0 NaN, 1 inf, 2 -inf, 3 -0.0, 4 0.0, 5 -1.0, 6 MAX, 7 MIN_POSITIVE, 8 5e-324,
    # 9 1e300, 10 0.7, 11 1e-13, 12 -NaN, 13 1e19
    return variant(2, 4) + u8(i)


def fig_raw(v):
    return variant(3, 4) + f64(v)


# Vocabulary indices (see the tables in placement.rs).
GPU_A, GPU_B, GPU_C, GPU_D, EMPTY_ID = 0, 1, 2, 3, 4
VLLM, TGI, EMPTY_ENGINE = 0, 1, 2
LLAMA, MISTRAL, EMPTY_MODEL = 0, 1, 2
FP16, AWQ, EMPTY_QUANT = 0, 1, 2
LORA, SPEC, EMPTY_EXT = 0, 1, 2
S1, S2, EMPTY_SESSION = 0, 1, 2


def job(engine=VLLM, model=LLAMA, tokens=50, est_kv=1, session=None, min_vram=None,
        quant=None, min_cc=None, exts=(), mask=None, interactive=True):
    return (
        boolean(interactive)
        + word(engine)
        + word(model)
        + option(None if tokens is None else tokens_small(tokens))
        + u32(8192)
        + (est_kv if isinstance(est_kv, bytes) else gib(est_kv))
        + option(None if session is None else word(session))
        + (min_vram if min_vram is not None else gib(0))
        + option(None if quant is None else word(quant))
        + option(None if min_cc is None else cc_small(*min_cc))
        + vec([word(e) for e in exts])
        + option(None if mask is None else mask_small(mask))
    )


def pool(id_, engine=None, ready=True, mask=0, models=None, slots=(4, 2), vram=(0, 0),
         cc=(2, 0), quants=None, exts=None, perf=fig_whole(50), first=fig_whole(200),
         admission=fig_whole(100), warm=None):
    """PoolGen::New(FPool); `None` lists default to the job's (see FPool::build)."""
    if isinstance(slots, tuple):
        total, free = slots
        slots_enc = variant(0, 2) + u8(total) + u8(total - free)  # Consistent{total, used}
    else:
        slots_enc = slots
    if isinstance(vram, tuple):
        vram_enc = variant(0, 2) + u8(vram[0]) + u8(vram[1])  # Fits{spare, unused}
    else:
        vram_enc = vram
    opt_words = lambda items: option(None if items is None else vec([word(i) for i in items]))
    return variant(0, 2) + (
        word(id_)
        + option(None if engine is None else word(engine))
        + word(0)
        + boolean(ready)
        + mask_small(mask)
        + opt_words(models)
        + slots_enc
        + vram_enc
        + cc_small(*cc)
        + opt_words(quants)
        + opt_words(exts)
        + option(perf)
        + option(first)
        + option(admission)
        + opt_words(warm)
    )


# Tweak variants, in declaration order.
T_NOTHING, T_WARM, T_SLOTS, T_VRAM, T_PERF, T_FIRST, T_READY = range(7)


def twin(of, id_, tweak=T_NOTHING, arg=b""):
    return variant(1, 2) + u8(of) + word(id_) + variant(tweak, 7) + arg


def placement_input(job_bytes, pools, rotate=1):
    return job_bytes + u8(rotate) + vec(pools)


PLACEMENT = {
    "warm_kv_decides": placement_input(job(session=S1), [pool(GPU_A, warm=[]), twin(0, GPU_B, T_WARM, vec([word(S1)])), twin(0, GPU_C)]),
    "tie_to_pool_id": placement_input(job(), [pool(GPU_C), twin(0, GPU_A), twin(0, GPU_B)], rotate=2),
    "tie_to_slots_free": placement_input(job(), [pool(GPU_A, slots=(4, 1)), twin(0, GPU_B, T_SLOTS, u8(3))]),
    "tie_to_residual_vram": placement_input(job(), [pool(GPU_A, vram=(1, 2)), pool(GPU_B, vram=(3, 0))]),
    "tie_to_perf_tokens": placement_input(job(tokens=None), [pool(GPU_A, perf=fig_whole(50)), pool(GPU_B, perf=fig_whole(80)), pool(GPU_C, perf=None)]),
    "predicted_end_decides": placement_input(job(tokens=100), [pool(GPU_A, perf=fig_whole(10)), pool(GPU_B, perf=fig_whole(100)), pool(GPU_C, first=fig_tenths(1995))]),
    "unknown_scores": placement_input(job(), [pool(GPU_A, admission=None), pool(GPU_B, first=None, slots=(4, 4)), pool(GPU_C, perf=None)]),
    "unknown_loses_to_known": placement_input(job(), [pool(GPU_A, admission=None, slots=(7, 7)), pool(GPU_B, first=fig_whole(60000))]),
    "rounding_noise_21_over_0_7": placement_input(job(tokens=21), [pool(GPU_A, perf=fig_special(10), first=fig_whole(0), admission=fig_whole(0)), pool(GPU_B, perf=fig_tenths(7), first=fig_whole(0), admission=fig_whole(0))]),
    "saturating_score": placement_input(job(tokens=255), [pool(GPU_A, perf=fig_special(8)), pool(GPU_B, admission=fig_special(6), first=fig_special(6))]),
    "invalid_figures": placement_input(job(), [
        pool(GPU_A, perf=fig_special(0)), pool(GPU_B, first=fig_special(5)), pool(GPU_C, admission=fig_special(1)),
        pool(GPU_D, perf=fig_whole(0)), pool(5, first=fig_special(3)), pool(6, perf=fig_raw(-2.5)),
    ]),
    "invalid_snapshots": placement_input(job(), [
        pool(EMPTY_ID), pool(GPU_A), twin(1, GPU_A), pool(GPU_B, engine=EMPTY_ENGINE),
        pool(GPU_C, slots=variant(1, 2) + u32(1) + u32(2)),
        pool(GPU_D, vram=variant(1, 2) + gib(1) + gib(2)),
    ]),
    "infeasible_reasons_1": placement_input(
        job(quant=FP16, min_cc=(1, 0), exts=(LORA, SPEC), mask=0b0011, session=S2, min_vram=gib(1)),
        [
            pool(GPU_A, ready=False), pool(GPU_B, mask=0b0100), pool(GPU_C, engine=TGI),
            pool(GPU_D, models=[MISTRAL]), pool(5, slots=(4, 0)), pool(6),
        ]),
    "infeasible_reasons_2": placement_input(
        job(quant=FP16, min_cc=(1, 0), exts=(LORA, SPEC), mask=0b0011, session=S2, min_vram=gib(1)),
        [
            pool(GPU_A, vram=variant(1, 2) + gib(31) + gib(1)), pool(GPU_B, cc=(0, 5)),
            pool(GPU_C, quants=[AWQ]), pool(GPU_D, exts=[LORA]), pool(5, exts=[SPEC, LORA]),
        ]),
    "feasible_with_requirements": placement_input(
        job(quant=AWQ, min_cc=(1, 6), exts=(SPEC,), mask=0b1111, session=S1),
        [pool(GPU_A, cc=(1, 10), mask=0b0110), pool(GPU_B, cc=(2, 0), quants=[FP16, AWQ], exts=[LORA, SPEC], warm=[S2, S1])]),
    "no_pools": placement_input(job(), []),
    "invalid_job_empty_engine": placement_input(job(engine=EMPTY_ENGINE), [pool(GPU_A)]),
    "invalid_job_vram_overflow": placement_input(job(est_kv=BYTES_MAX, min_vram=gib(1)), [pool(GPU_A)]),
    "invalid_job_empty_session": placement_input(job(session=EMPTY_SESSION), [pool(GPU_A)]),
    "huge_kv_fits_exactly": placement_input(job(est_kv=bytes_raw(2**64 - 2**31), min_vram=gib(1)), [pool(GPU_A, vram=(0, 0)), pool(GPU_B, vram=(3, 3))]),
    "twins_tweaked": placement_input(job(session=S1), [
        pool(GPU_D), twin(0, GPU_C, T_PERF, option(fig_whole(51))), twin(0, GPU_B, T_FIRST, option(fig_tenths(2001))),
        twin(0, GPU_A, T_READY, boolean(False)), twin(0, 5, T_VRAM, gib(0)), twin(0, 6, T_WARM, vec([word(S1)])),
    ], rotate=3),
}


# --- concurrent_ops --------------------------------------------------------------------

class C:
    """concurrent_ops::Op (7 variants, in declaration order)."""

    N = 7

    @staticmethod
    def enq(id_, p):
        return variant(0, C.N) + u8(id_) + prio(p)

    deq = variant(1, N)
    deq_blocking = variant(2, N)

    @staticmethod
    def cancel(id_):
        return variant(3, C.N) + u8(id_)

    @staticmethod
    def peek(id_, what):
        return variant(4, C.N) + u8(id_) + u8(what)

    yield_now = variant(5, N)
    close = variant(6, N) + u8(0xFF)
    no_close = variant(6, N) + u8(0x00)


def concurrent_input(capacity, policy, three, shared, ops):
    cap_byte = capacity if capacity <= 8 else 0xF0 + (capacity - 9)
    return (u8(cap_byte) + variant(policy, 2) + boolean(three) + boolean(shared)
            + vec([u8(thread) + op for thread, op in ops]))


def interleave(*lists):
    """Round-robin the per-thread lists into one tagged list."""
    out = []
    for step in range(max(len(l) for l in lists)):
        for thread, l in enumerate(lists):
            if step < len(l):
                out.append((thread, l[step]))
    return out


CONCURRENT_OPS = {
    "producer_consumer": concurrent_input(4, REJECT, False, False, interleave(
        [C.enq(i, i % 2) for i in range(8)], [C.deq] * 8)),
    "droplru_shared_ids_cancel": concurrent_input(2, DROP_LRU, False, True, interleave(
        [C.enq(i % 4, B) for i in range(8)], [C.cancel(i % 4) for i in range(8)])),
    "three_threads_enqueue_cancel_dequeue": concurrent_input(3, DROP_LRU, True, True, interleave(
        [C.enq(1, I), C.enq(2, B), C.enq(3, B), C.enq(1, B)] * 2,
        [C.cancel(1), C.cancel(2), C.yield_now, C.cancel(3)] * 2,
        [C.deq, C.deq_blocking, C.deq, C.peek(1, 2)] * 2)),
    "close_while_enqueueing": concurrent_input(8, REJECT, False, False, interleave(
        [C.enq(i, I) for i in range(10)], [C.deq, C.yield_now, C.close, C.deq, C.deq, C.deq])),
    "cap1_eviction_race": concurrent_input(1, DROP_LRU, True, False, interleave(
        [C.enq(i, B) for i in range(8)], [C.enq(i, B) for i in range(8)], [C.deq] * 8)),
    "cap0": concurrent_input(0, DROP_LRU, False, True, interleave(
        [C.enq(1, B), C.deq], [C.enq(1, I), C.cancel(1), C.deq_blocking])),
    "priority_mix_own_dequeues": concurrent_input(6, REJECT, False, False, interleave(
        [C.enq(1, B), C.enq(2, I), C.deq, C.enq(3, B), C.enq(4, I), C.deq, C.deq, C.deq],
        [C.enq(1, I), C.enq(2, B), C.deq_blocking, C.peek(2, 1), C.deq, C.no_close])),
    # Two threads enqueue one id into a full DropLru queue: reaches the refused-after-
    # eviction path (`EnqueueError::take_evicted`) within seconds of repeating it.
    "same_id_eviction_race": concurrent_input(2, DROP_LRU, False, True, interleave(
        [C.enq(0, B), C.enq(1, B), C.enq(2, B), C.enq(3, B), C.enq(0, B), C.deq, C.enq(1, B)],
        [C.peek(0, 0), C.cancel(1), C.cancel(2), C.enq(0, I), C.enq(0, B), C.enq(1, B)] + [C.close] * 2
        + [C.enq(0, I)])),
    "peeks_during_churn": concurrent_input(5, DROP_LRU, False, True, interleave(
        [C.enq(i % 6, i % 2) for i in range(12)],
        [C.peek(i % 6, i) for i in range(12)])),
}


def write(target, seeds):
    directory = os.path.join(HERE, "corpus", target)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, data in seeds.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds, {sum(len(d) for d in seeds.values())} bytes")


if __name__ == "__main__":
    write("queue_ops", QUEUE_OPS)
    write("placement", PLACEMENT)
    write("concurrent_ops", CONCURRENT_OPS)
