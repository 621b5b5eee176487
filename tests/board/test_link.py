"""The board link on real pseudo-terminals through pyserial: messages in order, skipped lines counted by
kind, audio gaps counted, commands sent and re-sent, the port vanishing and coming back, a board reset,
and the errors a user can meet when opening a port."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from core.board.link import (
    AudioGap,
    BoardLink,
    BoardReset,
    Connected,
    Disconnected,
    LinkState,
)
from core.board.protocol import (
    AudioChunk,
    Detection,
    Hello,
    LogLine,
    encode_audio,
    encode_detection,
    encode_hello,
    encode_log,
)
from core.errors import BoardError, BoardNotFoundError, PortBusyError, PortVanishedError
from tests.board.pty_board import PtyBoard

HELLO = encode_hello("edgebadge", "3f2a9c1d", ["_silence_", "_unknown_", "stop", "go"])


def collect(link: BoardLink, until, seconds: float = 5.0) -> list:
    """Items until `until(items)` holds (or fail after `seconds`)."""
    items: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        item = link.get(timeout=0.1)
        if item is not None:
            items.append(item)
            if until(items):
                return items
    raise AssertionError(f"gave up after {seconds} s with {items}")


def of(items, kind):
    return [i for i in items if isinstance(i, kind)]


@pytest.fixture
def board():
    b = PtyBoard()
    yield b
    b.close()


def test_hello_and_detections_arrive_in_order_and_the_link_asks_for_the_hello(board):
    with BoardLink.open(board.path) as link:
        assert link.state is LinkState.CONNECTED
        board.wait_command("?")  # a board that booted before we opened the port said hello to nobody
        board.write(HELLO)
        assert link.wait_for_hello(timeout=5).model == "3f2a9c1d"
        board.write(
            encode_detection(1200, "stop", 230) + encode_log("hi") + encode_detection(2500, "go", 210)
        )
        items = collect(link, lambda got: len(of(got, Detection)) == 2)
    assert isinstance(items[0], Connected) and not items[0].again
    assert of(items, Hello)[0].labels == ("_silence_", "_unknown_", "stop", "go")
    assert of(items, Detection) == [Detection(1200, "stop", 230), Detection(2500, "go", 210)]
    assert of(items, LogLine) == [LogLine("hi")]
    assert link.state is LinkState.CLOSED


def test_garbage_binary_noise_and_over_long_lines_are_skipped_and_counted(board):
    rng = np.random.default_rng(3)
    noise = bytes(rng.integers(0, 256, 3000, dtype=np.uint8)).replace(b"\n", b"x") + b"\n"
    stream = (
        HELLO
        + b"D 1 stop\n"  # a field short
        + encode_detection(100, "stop", 220)
        + b"Z what is this\n"
        + noise  # 3001 bytes of binary: one over-long line
        + b"A 0 not*base64\n"
        + b"\xff\xfe\n"
        + encode_detection(200, "go", 240)
    )
    with BoardLink.open(board.path) as link:
        for i in range(0, len(stream), 97):  # arrives in arbitrary pieces
            board.write(stream[i : i + 97])
        items = collect(link, lambda got: len(of(got, Detection)) == 2)
        time.sleep(0.1)
        stats = link.stats
    assert of(items, Detection) == [Detection(100, "stop", 220), Detection(200, "go", 240)]
    assert stats.skipped == {
        "field count": 1,
        "unknown tag": 1,
        "over-long": 1,
        "bad base64": 1,
        "not text": 1,
    }
    # Every byte is in a message or a skipped line: nothing vanished, nothing was invented.
    assert stats.bytes_read == len(stream)
    assert stats.message_bytes + stats.skipped_bytes == len(stream)


def test_audio_gaps_are_counted_not_filled(board):
    pcm = np.arange(160, dtype=np.int16)
    with BoardLink.open(board.path) as link:
        link.set_stream("A", True)
        board.wait_command("A1")
        for seq in (0, 160, 480, 640, 0, 160):  # 320..480 lost; then audio restarted at 0
            board.write(encode_audio(seq, pcm))
        items = collect(link, lambda got: len(of(got, AudioChunk)) == 6)
        stats = link.stats
    assert of(items, AudioGap) == [AudioGap(320, 480)]
    assert of(items, AudioGap)[0].lost == 160
    # The gap event comes right before the chunk after the gap.
    gap_at = next(i for i, it in enumerate(items) if isinstance(it, AudioGap))
    assert items[gap_at + 1] == AudioChunk(480, pcm.tobytes())
    assert (stats.audio_chunks, stats.audio_gaps, stats.samples_lost, stats.audio_restarts) == (6, 1, 160, 1)


def test_host_commands_are_sent_as_protocol_lines(board):
    with BoardLink.open(board.path) as link:
        link.set_stream("F", True)
        link.set_stream("P", False)
        link.set_threshold(180)
        link.request_hello()
        got = board.wait_command("?", count=2)
    assert got == ["?", "F1", "P0", "T 180", "?"]
    # Closing switches off what the link switched on, so the next host finds a quiet board.
    assert board.wait_command("F0")[-1] == "F0"


def test_the_port_vanishing_and_coming_back_reconnects_and_resends_settings(tmp_path):
    path = tmp_path / "board"
    first = PtyBoard(link=path)
    with BoardLink.open(str(path)) as link:
        link.set_stream("A", True)
        link.set_threshold(200)
        first.wait_command("T 200")
        first.write(HELLO)
        link.wait_for_hello(5)
        first.write(b"D 5 stop 2")  # half a line, then the cable is pulled
        time.sleep(0.1)
        first.close()
        items = collect(link, lambda got: of(got, Disconnected))
        assert link.state is LinkState.RECONNECTING
        time.sleep(0.5)  # unplugged for a while: the link keeps trying
        second = PtyBoard(link=path)  # plugged back in (a new pty behind the same path)
        try:
            link.wait_connected(5)
            got = second.wait_command("T 200")
            assert got[:3] == ["?", "A1", "T 200"]  # hello asked, settings re-sent
            second.write(HELLO + encode_detection(10, "go", 250))
            items += collect(link, lambda got: of(got, Detection))
            stats = link.stats
        finally:
            second.close()
    assert of(items, Connected)[-1].again
    assert of(items, Detection) == [Detection(10, "go", 250)]  # the half line is not a detection
    assert stats.reconnects == 1 and stats.skipped.get("cut off") == 1


def test_an_unrequested_hello_is_a_board_reset_and_streams_are_switched_on_again(board):
    with BoardLink.open(board.path) as link:
        link.hello_answer_s = 0.3
        board.wait_command("?")
        board.write(HELLO)
        link.wait_for_hello(5)
        link.set_stream("F", True)
        board.wait_command("F1")
        time.sleep(0.5)  # past the answer window of the connect's `?`
        board.write(HELLO)  # the board restarted by itself (reset button, watchdog)
        items = collect(link, lambda got: of(got, BoardReset))
        board.wait_command("F1", count=2)
        assert link.stats.resets == 1
    assert of(items, BoardReset)[0].hello.board == "edgebadge"


def test_a_requested_hello_is_not_a_reset(board):
    with BoardLink.open(board.path) as link:
        link.hello_answer_s = 0.3
        board.write(HELLO)
        link.wait_for_hello(5)
        time.sleep(0.5)
        link.request_hello()
        board.wait_command("?", count=2)
        board.write(HELLO)
        link.wait_for_hello(5, request=False, fresh=True)
        assert link.stats.resets == 0


def test_no_such_port():
    with pytest.raises(BoardNotFoundError) as err:
        BoardLink.open("/dev/wakebench-no-such-port")
    assert "no such port" in str(err.value) and err.value.exit_code == 3


def test_a_port_held_by_another_link_is_busy(board):
    with BoardLink.open(board.path), pytest.raises(PortBusyError) as err:
        BoardLink.open(board.path)
    assert "port busy" in str(err.value) and err.value.exit_code == 4


def test_open_waits_for_a_port_that_is_about_to_appear(tmp_path):
    path = tmp_path / "late"
    started = time.monotonic()
    import threading

    holder: list[PtyBoard] = []
    timer = threading.Timer(0.6, lambda: holder.append(PtyBoard(link=path)))
    timer.start()
    try:
        with BoardLink.open(str(path), wait_s=5) as link:
            assert link.connected and time.monotonic() - started >= 0.5
    finally:
        timer.join()
        for b in holder:
            b.close()


def test_release_lets_go_of_the_port_and_reconnect_takes_it_back(board):
    with BoardLink.open(board.path) as link:
        link.release()
        assert link.state is LinkState.RELEASED
        with BoardLink.open(board.path):  # another program (an upload) may open it now
            pass
        time.sleep(0.4)
        assert link.state is LinkState.RELEASED  # does not grab the port back by itself
        link.reconnect(timeout=5)
        board.wait_command("?", count=2)
        board.write(HELLO)
        assert link.wait_for_hello(5).board == "edgebadge"


def test_waiting_on_a_vanished_port_says_so(board):
    link = BoardLink.open(board.path)
    try:
        board.close()
        with pytest.raises(PortVanishedError):
            link.wait_for_hello(1.0)
        with pytest.raises(BoardError, match="not connected"):
            link.request_hello()
    finally:
        link.close()


def test_a_bare_pty_is_not_waited_for_but_a_symlink_to_one_is(board, tmp_path):
    from core.board.link import comes_back

    assert not comes_back(board.tty)  # its number goes to the next terminal opened on this machine
    linked = PtyBoard(link=tmp_path / "sim")
    try:
        assert comes_back(linked.path) and comes_back("/dev/ttyACM0") and comes_back("socket://x:1")
    finally:
        linked.close()
    link = BoardLink.open(board.path)
    try:
        board.close()
        collect(link, lambda got: of(got, Disconnected))
        assert link.state is LinkState.DISCONNECTED
    finally:
        link.close()


def test_a_no_reconnect_link_stays_disconnected(board):
    link = BoardLink.open(board.path, reconnect=False)
    try:
        board.close()
        collect(link, lambda got: of(got, Disconnected))
        assert link.state is LinkState.DISCONNECTED
    finally:
        link.close()


def test_pyserial_urls_work_too():
    # loop:// echoes what the host sends: the link's own `?` comes back as a line of unknown tag.
    with BoardLink.open("loop://") as link:
        deadline = time.monotonic() + 3
        while link.stats.skipped.get("unknown tag", 0) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert link.stats.skipped == {"unknown tag": 1}


def test_the_reader_never_blocks_the_caller(board):
    with BoardLink.open(board.path) as link:
        started = time.monotonic()
        assert link.get(timeout=0.2) is not None  # Connected
        assert link.get(timeout=0.2) is None
        assert time.monotonic() - started < 1.0
        assert os.path.exists(board.tty)


def test_switching_audio_on_while_it_flows_is_a_restart_not_a_gap():
    from core.board.link import StreamDecoder

    decoder = StreamDecoder()
    pcm = np.zeros(160, np.int16)
    decoder.feed(encode_audio(50_000, pcm) + encode_audio(50_160, pcm))  # left on by an earlier host
    decoder.audio_restarted()  # we send A1; two old chunks were still in flight
    out = decoder.feed(encode_audio(50_320, pcm) + encode_audio(50_480, pcm) + encode_audio(0, pcm))
    assert not [m for m in out if isinstance(m, AudioGap)]
    assert (decoder.stats.audio_gaps, decoder.stats.audio_restarts) == (0, 1)
    quiet = StreamDecoder()
    quiet.audio_restarted()  # audio was off: the board starts at 0, so a first chunk at 320 lost 320
    assert [m for m in quiet.feed(encode_audio(320, pcm)) if isinstance(m, AudioGap)] == [AudioGap(0, 320)]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user"
)
def test_permission_denied_says_which_group_to_join(board, capsys):
    import grp

    from core.cli import main
    from core.errors import PortPermissionError

    dialout = grp.getgrnam("dialout").gr_gid if "dialout" in {g.gr_name for g in grp.getgrall()} else 20
    os.chown(board.tty, 0, dialout)
    os.chmod(board.tty, 0o660)  # as a USB serial port is: root, group dialout
    os.seteuid(65534)  # a user who is not in that group (the real uid stays root, so this is undone below)
    try:
        with pytest.raises(PortPermissionError) as err:
            BoardLink.open(board.tty)
        code = main(["monitor", board.tty, "--seconds", "1"])
    finally:
        os.seteuid(0)
    assert err.value.exit_code == 5 and code == 5
    group = grp.getgrgid(dialout).gr_name
    assert "permission denied" in str(err.value) and f"sudo usermod -aG {group} $USER" in err.value.hint
    assert "permission denied" in capsys.readouterr().err
