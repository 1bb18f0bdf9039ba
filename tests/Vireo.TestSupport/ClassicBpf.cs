using System.Buffers.Binary;

namespace Vireo.TestSupport;

/// <summary>
/// A classic BPF interpreter for seccomp programs, so a filter's compiled instructions can be run
/// on synthetic <c>struct seccomp_data</c> for any architecture (an arm64 filter cannot be
/// installed on an x86-64 host, and installing shows only what one thread's calls meet). It
/// follows the kernel's checker and interpreter for the subset seccomp admits
/// (net/core/filter.c <c>seccomp_check_filter</c>): 32-bit absolute loads from the 64-byte data,
/// ALU and jumps with constant operands, return of a constant. Anything else is refused as the
/// kernel would refuse the program, so a filter that runs here is one the kernel accepts.
/// </summary>
public static class ClassicBpf
{
    // <linux/bpf_common.h>
    private const int ClassMask = 0x07, Ld = 0x00, Alu = 0x04, Jmp = 0x05, Ret = 0x06;
    private const int SizeMask = 0x18, W = 0x00;
    private const int ModeMask = 0xe0, Abs = 0x20;
    private const int OpMask = 0xf0, SrcX = 0x08;
    private const int Add = 0x00, Sub = 0x10, Mul = 0x20, Or = 0x40, And = 0x50, Lsh = 0x60, Rsh = 0x70, Xor = 0xa0;
    private const int Ja = 0x00, Jeq = 0x10, Jgt = 0x20, Jge = 0x30, Jset = 0x40;

    /// <summary>The size of <c>struct seccomp_data</c>.</summary>
    public const int SeccompDataSize = 64;

    // <linux/filter.h> BPF_MAXINSNS
    private const int MaxInstructions = 4096;

    /// <summary>A <c>struct seccomp_data</c> (nr, arch, instruction_pointer, args[6]; little-endian, as on x86-64 and arm64).</summary>
    public static byte[] SeccompData(int nr, uint arch, params ReadOnlySpan<ulong> args)
    {
        if (args.Length > 6)
        {
            throw new ArgumentException("a syscall has at most six arguments", nameof(args));
        }
        byte[] data = new byte[SeccompDataSize];
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(0), nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + (8 * i)), args[i]);
        }
        return data;
    }

    /// <summary>Runs <paramref name="program"/> on <paramref name="data"/> and returns the value
    /// of the RET it reaches. Throws <see cref="InvalidOperationException"/> for a program the
    /// kernel would refuse: empty, too long, an instruction outside the seccomp subset, a load
    /// outside the data or unaligned, a jump out of the program, or a last instruction that is
    /// not a RET.</summary>
    public static uint Run(IReadOnlyList<BpfInstruction> program, ReadOnlySpan<byte> data)
    {
        Check(program);
        if (data.Length != SeccompDataSize)
        {
            throw new ArgumentException($"seccomp_data is {SeccompDataSize} bytes, not {data.Length}", nameof(data));
        }
        uint a = 0;
        int pc = 0;
        // Jumps only go forward (offsets are unsigned), so the loop ends within program.Count steps.
        while (true)
        {
            BpfInstruction insn = program[pc];
            switch (insn.Code & ClassMask)
            {
                case Ld:
                    a = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)insn.K..]);
                    pc++;
                    break;
                case Alu:
                    a = (insn.Code & OpMask) switch
                    {
                        Add => a + insn.K,
                        Sub => a - insn.K,
                        Mul => a * insn.K,
                        Or => a | insn.K,
                        And => a & insn.K,
                        Lsh => a << (int)insn.K,
                        Rsh => a >> (int)insn.K,
                        Xor => a ^ insn.K,
                        _ => throw new InvalidOperationException($"instruction {pc}: ALU op {insn.Code:x} is not in the interpreter"),
                    };
                    pc++;
                    break;
                case Jmp:
                    int op = insn.Code & OpMask;
                    if (op == Ja)
                    {
                        pc += 1 + (int)insn.K;
                        break;
                    }
                    bool taken = op switch
                    {
                        Jeq => a == insn.K,
                        Jgt => a > insn.K,
                        Jge => a >= insn.K,
                        Jset => (a & insn.K) != 0,
                        _ => throw new InvalidOperationException($"instruction {pc}: jump op {insn.Code:x} is not in the interpreter"),
                    };
                    pc += 1 + (taken ? insn.JumpTrue : insn.JumpFalse);
                    break;
                case Ret:
                    return insn.K;
                default:
                    throw new InvalidOperationException($"instruction {pc}: class {insn.Code & ClassMask} is not in the interpreter");
            }
        }
    }

    // The static checks the kernel makes when the filter is attached (bpf_check_classic and
    // seccomp_check_filter), for the instructions this interpreter runs.
    private static void Check(IReadOnlyList<BpfInstruction> program)
    {
        if (program.Count is 0 or > MaxInstructions)
        {
            throw new InvalidOperationException($"a program has 1 to {MaxInstructions} instructions, not {program.Count}");
        }
        for (int pc = 0; pc < program.Count; pc++)
        {
            BpfInstruction insn = program[pc];
            switch (insn.Code & ClassMask)
            {
                case Ld:
                    if ((insn.Code & (SizeMask | ModeMask)) != (W | Abs) || insn.K >= SeccompDataSize || (insn.K & 3) != 0)
                    {
                        throw new InvalidOperationException($"instruction {pc}: seccomp admits only aligned 32-bit absolute loads within seccomp_data (code {insn.Code:x}, k {insn.K})");
                    }
                    break;
                case Alu:
                case Jmp:
                    if ((insn.Code & SrcX) != 0)
                    {
                        throw new InvalidOperationException($"instruction {pc}: the interpreter has no X register");
                    }
                    if ((insn.Code & ClassMask) == Jmp)
                    {
                        long furthest = (insn.Code & OpMask) == Ja ? insn.K : Math.Max(insn.JumpTrue, insn.JumpFalse);
                        if (pc + 1 + furthest >= program.Count)
                        {
                            throw new InvalidOperationException($"instruction {pc}: jumps past the end of the program");
                        }
                    }
                    break;
                case Ret:
                    break;
                default:
                    throw new InvalidOperationException($"instruction {pc}: class {insn.Code & ClassMask} is not admitted");
            }
        }
        if ((program[^1].Code & ClassMask) != Ret)
        {
            throw new InvalidOperationException("the last instruction is not a RET");
        }
    }
}
