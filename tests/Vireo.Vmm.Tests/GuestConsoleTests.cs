using System.Text;

namespace Vireo.Vmm.Tests;

public sealed class GuestConsoleTests
{
    // Long enough that a loaded test host never sees the timer fire between two statements.
    private static readonly TimeSpan s_delay = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void A_line_written_a_byte_at_a_time_goes_out_in_one_write_when_it_ends()
    {
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);

        foreach (byte b in "[    0.1] first\r\n[    0.2] second\r\n"u8)
        {
            console.Write([b]);
        }

        Assert.Equal(["[    0.1] first\r\n", "[    0.2] second\r\n"], output.Writes);
    }

    [Fact]
    public void A_partial_line_is_held_and_then_written_within_the_delay()
    {
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);

        console.Write("~ # "u8);
        Assert.Empty(output.Writes);

        Assert.True(output.WaitForText("~ # ", TimeSpan.FromSeconds(5)), "the prompt never came");
        Assert.Equal(["~ # "], output.Writes);
    }

    [Fact]
    public void Held_bytes_go_out_before_the_line_that_follows_them_in_order()
    {
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);

        console.Write("ab"u8);
        console.Write("c\nde"u8);

        Assert.Equal("abc\nde", output.Text);
    }

    [Fact]
    public void Output_longer_than_the_buffer_without_a_line_end_is_written_as_the_buffer_fills()
    {
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);
        byte[] data = Enumerable.Range(0, 10_000).Select(i => (byte)('a' + (i % 26))).ToArray();

        console.Write(data);

        Assert.Equal(8192, output.Text.Length);
        Assert.True(output.WaitForLength(10_000, TimeSpan.FromSeconds(5)));
        Assert.Equal(Encoding.ASCII.GetString(data), output.Text);
    }

    [Fact]
    public void Dispose_writes_a_held_partial_line()
    {
        var output = new RecordingStream();
        GuestConsole console = GuestConsole.ForStream(output, s_delay);
        console.Write("Kernel panic - not syncing"u8);

        console.Dispose();

        Assert.Equal("Kernel panic - not syncing", output.Text);
    }

    [Fact]
    public void An_output_that_fails_when_the_timer_writes_leaves_the_console_usable()
    {
        var output = new RecordingStream { Fail = true };
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);

        console.Write("x"u8);
        Assert.True(output.WaitForAttempt(TimeSpan.FromSeconds(5)), "the timer never wrote");
        output.Fail = false;
        console.Write("y\n"u8);

        Assert.Equal("y\n", output.Text);
    }

    [Fact]
    public void A_host_line_never_lands_inside_a_guest_line_that_was_written_and_held_bytes_wait_for_it()
    {
        // One shared sink, as stdout and stderr share a terminal or a pipe.
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay);
        using var stderr = new StreamWriter(output, leaveOpen: true);

        console.Write("access completions=0"u8);
        console.Flush();                                         // the partial line went out (the timer's job)
        console.WriteHostLine(stderr, "vireo: PCI device pa: device-wake cause=guest");
        console.Write("\r\n/ # "u8);                             // the guest's line end and a prompt, written together
        console.WriteHostLine(stderr, "vireo: second");          // after the open prompt: a newline first
        console.Write("ec"u8);                                   // held (no line end yet)
        console.WriteHostLine(stderr, "vireo: before the held bytes");
        console.Write("ho\n"u8);
        console.WriteHostLine(stderr, "vireo: third");

        Assert.Equal(
            "access completions=0\nvireo: PCI device pa: device-wake cause=guest\n\r\n/ # \nvireo: second\nvireo: before the held bytes\necho\nvireo: third\n",
            output.Text);
    }

    private sealed class RecordingStream : Stream
    {
        private readonly Lock _lock = new();
        private readonly List<string> _writes = [];
        private int _attempts;

        public volatile bool Fail;

        public IReadOnlyList<string> Writes
        {
            get
            {
                lock (_lock)
                {
                    return [.. _writes];
                }
            }
        }

        public string Text => string.Concat(Writes);

        public bool WaitForText(string text, TimeSpan timeout) => SpinWait.SpinUntil(() => Text == text, timeout);

        public bool WaitForLength(int length, TimeSpan timeout) => SpinWait.SpinUntil(() => Text.Length >= length, timeout);

        public bool WaitForAttempt(TimeSpan timeout) => SpinWait.SpinUntil(() => Volatile.Read(ref _attempts) > 0, timeout);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Interlocked.Increment(ref _attempts);
            if (Fail)
            {
                throw new IOException("Broken pipe");
            }
            lock (_lock)
            {
                _writes.Add(Encoding.ASCII.GetString(buffer));
            }
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
