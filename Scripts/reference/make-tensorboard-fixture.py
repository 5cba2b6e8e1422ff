"""TensorBoard's own writer and reader for TensorBoardTests: events framed by TensorBoard's
RecordWriter (its masked CRC-32C, not ours), read back by its EventFileLoader (which checks both
CRCs), so the test compares our writer's bytes with an independent implementation.

Writes Tests/TrainingTests/Fixtures/tensorboard/events.fixture: the file-version event and one
scalar event per step of STEPS, at fixed wall times. Pinned versions: Scripts/reference/requirements.txt.
"""
import os
import sys

from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer import record_writer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures", "tensorboard")
# (wall time, step, [(tag, value)]): a float's exact value, a negative step-free value, a long tag,
# and a step past one varint byte.
STEPS = [
    (1700000001.25, 7, [("train/loss", 2.5)]),
    (1700000002.5, 300, [("train/loss", 1.0e-3), ("train/learning_rate", 6.0e-4)]),
    (1700000003.75, 123456789, [("eval/masked_lm_accuracy_with_a_long_tag_name", -0.125)]),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "events.fixture")
    with open(path, "wb") as handle:
        writer = record_writer.RecordWriter(handle)
        writer.write(event_pb2.Event(wall_time=1700000000.0, file_version="brain.Event:2").SerializeToString())
        for wall_time, step, scalars in STEPS:
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in scalars])
            writer.write(event_pb2.Event(wall_time=wall_time, step=step, summary=summary).SerializeToString())
    # TensorBoard's reader checks the length and payload CRCs of every record.
    events = list(event_file_loader.EventFileLoader(path).Load())
    assert len(events) == 1 + len(STEPS), events
    for event, (wall_time, step, scalars) in zip(events[1:], STEPS):
        assert event.step == step and event.wall_time == wall_time
    print(f"wrote {path}: {len(events)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
