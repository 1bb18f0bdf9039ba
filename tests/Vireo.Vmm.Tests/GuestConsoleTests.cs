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
    public void A_host_line_waits_for_the_open_guest_line_to_end_and_follows_it_in_order()
    {
        // One shared sink, as stdout and stderr share a terminal or a pipe.
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay, hostLineWait: TimeSpan.FromHours(1));
        using var stderr = new StreamWriter(output, leaveOpen: true);

        console.Write("vireo_edu 0000:00:03.0: factorial"u8);
        console.Flush();                                         // the partial line went out (the timer's job)
        console.WriteHostLine(stderr, "vireo: PCI device edu: device-wake cause=guest");
        console.Write(" ok n=12\r\n/ # "u8);                     // the line's end and a prompt, written together
        console.WriteHostLine(stderr, "vireo: second");          // the prompt is open: it waits
        console.Write("ec"u8);                                   // held (no line end yet)
        console.WriteHostLine(stderr, "vireo: third");           // behind the second, in order
        console.Write("ho\n"u8);
        console.WriteHostLine(stderr, "vireo: fourth");          // at a line start: at once

        Assert.Equal(
            "vireo_edu 0000:00:03.0: factorial ok n=12\r\nvireo: PCI device edu: device-wake cause=guest\n/ # echo\nvireo: second\nvireo: third\nvireo: fourth\n",
            output.Text);
    }

    [Fact]
    public void A_host_line_behind_a_line_that_stays_open_goes_out_after_the_wait_on_a_line_of_its_own()
    {
        var output = new RecordingStream();
        using GuestConsole console = GuestConsole.ForStream(output, s_delay, hostLineWait: TimeSpan.FromMilliseconds(50));
        using var stderr = new StreamWriter(output, leaveOpen: true);

        console.Write("/ # "u8);
        console.Flush();
        console.WriteHostLine(stderr, "vireo: guest powered off");

        Assert.True(output.WaitForText("/ # \nvireo: guest powered off\n", TimeSpan.FromSeconds(5)), output.Text);
        console.Write("x\n"u8);
        Assert.Equal("/ # \nvireo: guest powered off\nx\n", output.Text);
    }

    [Fact]
    public void Host_lines_still_held_when_the_console_closes_are_written()
    {
        var output = new RecordingStream();
        var stderr = new StreamWriter(output, leaveOpen: true);
        using (GuestConsole console = GuestConsole.ForStream(output, s_delay, hostLineWait: TimeSpan.FromHours(1)))
        {
            console.Write("half"u8);
            console.Flush();
            console.WriteHostLine(stderr, "vireo: last words");
        }
        // A line after the console closed (the run's last words) goes out at once.
        GuestConsole closed = GuestConsole.ForStream(output, s_delay, hostLineWait: TimeSpan.FromHours(1));
        closed.Write("open"u8);
        closed.Dispose();
        closed.WriteHostLine(stderr, "vireo: guest powered off");
        stderr.Dispose();
        Assert.Equal("half\nvireo: last words\nopen\nvireo: guest powered off\n", output.Text);
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
