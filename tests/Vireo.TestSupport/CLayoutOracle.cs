using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vireo.TestSupport;

/// <summary>
/// The C compiler as the authority on kernel ABI: writes a C program that includes the given
/// headers and prints sizeof/offsetof of every struct and member asked for plus the value of every
/// macro asked for, compiles it with the host's gcc against /usr/include, runs it, and answers from
/// its output. Expected values in layout tests therefore never come from the test's own source.
/// Reusable for any uAPI header (linux/kvm.h, linux/vfio.h, ...).
/// </summary>
public sealed class CLayoutOracle
{
    private readonly Dictionary<string, ulong> _values;

    private CLayoutOracle(Dictionary<string, ulong> values, string source)
    {
        _values = values;
        Source = source;
    }

    /// <summary>The generated C program, for failure messages.</summary>
    public string Source { get; }

    /// <summary>Builds and runs the probe program. Throws, with gcc's diagnostics, if a type,
    /// member or macro does not exist in the headers.</summary>
    public static CLayoutOracle Run(IEnumerable<string> headers, IEnumerable<CStructLayout> structs, IEnumerable<string> macros) =>
        Run(CTarget.Host, headers, structs, macros);

    /// <summary>As <see cref="Run(IEnumerable{string}, IEnumerable{CStructLayout}, IEnumerable{string})"/>,
    /// for <paramref name="target"/>'s ABI: another architecture's probe is built with its cross
    /// compiler and run under QEMU's user-mode emulator.</summary>
    public static CLayoutOracle Run(CTarget target, IEnumerable<string> headers, IEnumerable<CStructLayout> structs, IEnumerable<string> macros)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Missing() is string missing)
        {
            throw new InvalidOperationException($"the C layout oracle for {target.Name} cannot run here: {missing}");
        }
        string source = Generate(headers, structs, macros);
        string dir = Directory.CreateTempSubdirectory("vireo-layout-").FullName;
        try
        {
            string c = Path.Combine(dir, "probe.c");
            string exe = Path.Combine(dir, "probe");
            File.WriteAllText(c, source);
            RunProcess(target.CompilerPath()!, [.. target.CompilerArguments(), "-std=gnu11", "-D_GNU_SOURCE", "-Wall", "-Werror", "-o", exe, c], source);
            string output = target.RunnerPath() is string runner ? RunProcess(runner, [exe], source) : RunProcess(exe, [], source);
            return new CLayoutOracle(Parse(output), source);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public ulong SizeOf(string cType) => Lookup($"sizeof\t{cType}");

    public ulong OffsetOf(string cType, string member) => Lookup($"offsetof\t{cType}\t{member}");

    public ulong SizeOfMember(string cType, string member) => Lookup($"membersize\t{cType}\t{member}");

    /// <summary>The macro's value converted to unsigned long long (so -1 reads as ulong.MaxValue).</summary>
    public ulong Macro(string name) => Lookup($"macro\t{name}");

    /// <summary>Every difference between the managed layout and the C layout, as readable lines;
    /// empty when they agree.</summary>
    public IReadOnlyList<string> Compare(CStructLayout layout)
    {
        var problems = new List<string>();
        ulong cSize = SizeOf(layout.CType);
        if (layout.FlexibleArrayOffset is int header)
        {
            if (cSize != (ulong)header)
            {
                problems.Add($"sizeof({layout.CType}) = {cSize}, {layout.ManagedName}'s flexible array starts at {header}");
            }
        }
        else if (cSize != (ulong)layout.ManagedSize)
        {
            problems.Add($"sizeof({layout.CType}) = {cSize}, {layout.ManagedName} is {layout.ManagedSize}");
        }
        foreach (CFieldLayout field in layout.Fields)
        {
            ulong offset = OffsetOf(layout.CType, field.CMember);
            if (offset != (ulong)field.ManagedOffset)
            {
                problems.Add($"offsetof({layout.CType}, {field.CMember}) = {offset}, {field.ManagedName} is at {field.ManagedOffset}");
            }
            if (field.ManagedSize is null)
            {
                continue;
            }
            ulong size = SizeOfMember(layout.CType, field.CMember);
            if (size != (ulong)field.ManagedSize)
            {
                problems.Add($"sizeof({layout.CType}.{field.CMember}) = {size}, {field.ManagedName} is {field.ManagedSize} bytes");
            }
        }
        return problems;
    }

    private ulong Lookup(string key) =>
        _values.TryGetValue(key, out ulong value) ? value : throw new KeyNotFoundException($"the C probe was not asked for '{key.Replace('\t', ' ')}'");

    private static string Generate(IEnumerable<string> headers, IEnumerable<CStructLayout> structs, IEnumerable<string> macros)
    {
        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>");
        c.AppendLine("#include <stddef.h>");
        foreach (string header in headers)
        {
            c.Append("#include <").Append(Checked(header)).AppendLine(">");
        }
        c.AppendLine("#define MEMBER_SIZE(T, m) sizeof(((T *)0)->m)");
        c.AppendLine("static void put(const char *key, unsigned long long value) { printf(\"%s\\t%llu\\n\", key, value); }");
        c.AppendLine("int main(void) {");
        foreach (CStructLayout layout in structs)
        {
            string type = Checked(layout.CType);
            c.AppendLine(CultureInfo.InvariantCulture, $"  put(\"sizeof\\t{type}\", sizeof({type}));");
            foreach (CFieldLayout field in layout.Fields)
            {
                string member = Checked(field.CMember);
                c.AppendLine(CultureInfo.InvariantCulture, $"  put(\"offsetof\\t{type}\\t{member}\", offsetof({type}, {member}));");
                if (field.ManagedSize is not null)
                {
                    c.AppendLine(CultureInfo.InvariantCulture, $"  put(\"membersize\\t{type}\\t{member}\", MEMBER_SIZE({type}, {member}));");
                }
            }
        }
        foreach (string macro in macros)
        {
            string name = Checked(macro);
            c.AppendLine(CultureInfo.InvariantCulture, $"  put(\"macro\\t{name}\", (unsigned long long)({name}));");
        }
        c.AppendLine("  return 0;");
        c.AppendLine("}");
        return c.ToString();
    }

    // Names are pasted into C source and string literals; refuse anything that could break out.
    // Macro expressions such as "ARM64_SYS_REG(3, 0, 0, 0, 5)" or "KVM_REG_ARM64 | KVM_REG_SIZE_U64"
    // may use '|', '&', '<', ',' and parentheses, which cannot end a string literal; the parentheses
    // must balance so that none can close the call the expression is pasted into.
    private static string Checked(string text)
    {
        int depth = 0;
        foreach (char ch in text)
        {
            depth += ch switch { '(' => 1, ')' => -1, _ => 0 };
            bool allowed = char.IsAsciiLetterOrDigit(ch) || ch is '_' or ' ' or '.' or '[' or ']' or '/' or '|' or '&' or '<' or ',' or '(' or ')';
            if (!allowed || depth < 0)
            {
                depth = -1;
                break;
            }
        }
        return text.Length > 0 && depth == 0
            ? text
            : throw new ArgumentException($"'{text}' is not a C type, member designator, header, macro name or macro expression");
    }

    private static Dictionary<string, ulong> Parse(string output)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int tab = line.LastIndexOf('\t');
            values[line[..tab]] = ulong.Parse(line[(tab + 1)..], CultureInfo.InvariantCulture);
        }
        return values;
    }

    private static string RunProcess(string program, string[] arguments, string source)
    {
        (int exitCode, string stdout, string stderr) = RunCaptured(program, arguments, standardInput: null);
        return exitCode == 0
            ? stdout
            : throw new InvalidOperationException($"{Path.GetFileName(program)} exited with {exitCode}:\n{stderr}\n--- probe.c ---\n{source}");
    }

    /// <summary>Runs <paramref name="program"/> to its end with <paramref name="standardInput"/>
    /// (or none) as its input, and returns its exit code and what it wrote.</summary>
    internal static (int ExitCode, string Stdout, string Stderr) RunCaptured(string program, IEnumerable<string> arguments, string? standardInput)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
