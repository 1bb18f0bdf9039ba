using System.Buffers.Binary;
using Vireo.TestSupport;

namespace Vireo.Fdt.Tests;

public sealed class FdtWriterTests
{
    private const long Limit = 2 << 20;

    // The same tree as Sample() builds, as dtc prints it back (dtc -I dtb -O dts).
    private const string SampleDts = """
        /dts-v1/;

        /memreserve/	0x0000000010000000 0x0000000000004000;
        / {
        	#address-cells = <0x02>;
        	#size-cells = <0x02>;
        	compatible = "vireo,test\0linux,dummy-virt";
        	empty;
        	big = <0x12345678 0x9abcdef0>;
        	bytes = [01 02 03];

        	intc@8000000 {
        		phandle = <0x01>;
        		reg = <0x00 0x8000000 0x00 0x10000>;
        	};

        	node {
        		ref = <0x01>;
        		name-with,odd.chars+#? = "x";
        	};
        };

        """;

    // What a person would write for that tree; dtc compiles it and its blob must decode the same.
    private const string SampleSource = """
        /dts-v1/;
        /memreserve/ 0x10000000 0x4000;
        / {
        	#address-cells = <2>;
        	#size-cells = <2>;
        	compatible = "vireo,test", "linux,dummy-virt";
        	empty;
        	big = /bits/ 64 <0x123456789abcdef0>;
        	bytes = [01 02 03];
        	intc: intc@8000000 {
        		phandle = <1>;
        		reg = <0 0x8000000 0 0x10000>;
        	};
        	node {
        		ref = <&intc>;
        		name-with,odd.chars+#? = "x";
        	};
        };
        """;

    private static byte[] Sample(uint bootCpu = 0)
    {
        var fdt = new FdtWriter { BootCpuId = bootCpu };
        fdt.AddMemoryReservation(0x1000_0000, 0x4000);
        using (fdt.BeginNode(""))
        {
            fdt.PropertyU32("#address-cells", 2);
            fdt.PropertyU32("#size-cells", 2);
            fdt.PropertyStringList("compatible", "vireo,test", "linux,dummy-virt");
            fdt.PropertyEmpty("empty");
            fdt.PropertyU64("big", 0x1234_5678_9abc_def0);
            fdt.Property("bytes", [1, 2, 3]);
            uint intc = fdt.AllocatePhandle();
            using (fdt.BeginNode("intc@8000000"))
            {
                fdt.PropertyU32("phandle", intc);
                fdt.PropertyU64Array("reg", 0x800_0000, 0x1_0000);
            }
            using (fdt.BeginNode("node"))
            {
                fdt.PropertyCells("ref", intc);
                fdt.PropertyString("name-with,odd.chars+#?", "x");
            }
        }
        return fdt.Finish(Limit);
    }

    [Fact]
    public void HeaderFollowsTheSpecification()
    {
        byte[] blob = Sample(bootCpu: 3);
        uint Field(int index) => BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(index * 4));
        Assert.Equal(0xd00dfeedu, Field(0));
        Assert.Equal((uint)blob.Length, Field(1));
        uint structOffset = Field(2), stringsOffset = Field(3), reserveOffset = Field(4);
        Assert.Equal(17u, Field(5));
        Assert.Equal(16u, Field(6));
        Assert.Equal(3u, Field(7));
        uint stringsSize = Field(8), structSize = Field(9);
        Assert.Equal(0u, reserveOffset % 8);
        Assert.Equal(0u, structOffset % 4);
        Assert.Equal(40u, reserveOffset);
        // One reservation and the terminator.
        Assert.Equal(reserveOffset + 32, structOffset);
        Assert.Equal(0x1000_0000ul, BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan((int)reserveOffset)));
        Assert.Equal(0x4000ul, BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan((int)reserveOffset + 8)));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan((int)reserveOffset + 16)));
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64BigEndian(blob.AsSpan((int)reserveOffset + 24)));
        Assert.Equal(structOffset + structSize, stringsOffset);
        Assert.Equal((uint)blob.Length, stringsOffset + stringsSize);
        Assert.Equal(FdtWriter.BeginNodeToken, BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan((int)structOffset)));
        Assert.Equal(FdtWriter.EndToken, BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan((int)(structOffset + structSize - 4))));
    }

    [Fact]
    public void PropertyNamesAreStoredOnce()
    {
        var fdt = new FdtWriter();
        using (fdt.BeginNode(""))
        {
            fdt.PropertyU32("reg", 1);
            for (int i = 0; i < 3; i++)
            {
                using (fdt.BeginNode($"n@{i}"))
                {
                    fdt.PropertyU32("reg", (uint)i);
                }
            }
        }
        byte[] blob = fdt.Finish(Limit);
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(32)));
        Assert.Equal(blob.Length, fdt.TotalSize);
    }

    [DtcFact]
    public void DtcDecodesTheTreeAsWritten()
    {
        Dtc.Result decoded = Dtc.Decompile(Sample());
        Assert.Equal(SampleDts, decoded.Text);
        Assert.Equal("", decoded.Errors);
    }

    [DtcFact]
    public void DtcCompilesTheSameTreeFromSource()
    {
        byte[] theirs = Dtc.Compile(SampleSource);
        Assert.Equal(Dtc.Decompile(theirs).Text, Dtc.Decompile(Sample()).Text);
    }

    [DtcFact]
    public void DtcReadsTheBootCpu()
    {
        // dtc writes the header's boot CPU back as a -b it would need; fdtdump prints it outright.
        byte[] blob = Sample(bootCpu: 0x101);
        Dtc.Result asDtb = Dtc.Run(blob, "-I", "dtb", "-O", "dtb");
        Assert.Equal(0, asDtb.Status);
        Assert.Equal(0x101u, BinaryPrimitives.ReadUInt32BigEndian(asDtb.Output.AsSpan(28)));
    }

    [Fact]
    public void EndWithNothingOpenIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.EndNode();
        Assert.Equal(FdtStructureError.UnbalancedEnd, Assert.Throws<FdtStructureException>(fdt.EndNode).Error);
    }

    [Fact]
    public void EndingAnOuterScopeFirstIsRefused()
    {
        var fdt = new FdtWriter();
        FdtNode root = fdt.BeginNode("");
        fdt.BeginNode("child");
        Assert.Equal(FdtStructureError.UnbalancedEnd, Assert.Throws<FdtStructureException>(root.Dispose).Error);
    }

    [Fact]
    public void PropertyAfterAChildIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.BeginNode("child");
        fdt.EndNode();
        var e = Assert.Throws<FdtStructureException>(() => fdt.PropertyU32("late", 1));
        Assert.Equal(FdtStructureError.PropertyAfterChild, e.Error);
    }

    [Fact]
    public void PropertyOutsideANodeIsRefused()
    {
        var fdt = new FdtWriter();
        Assert.Equal(FdtStructureError.NoOpenNode, Assert.Throws<FdtStructureException>(() => fdt.PropertyEmpty("x")).Error);
    }

    [Fact]
    public void SecondRootIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.EndNode();
        Assert.Equal(FdtStructureError.SecondRoot, Assert.Throws<FdtStructureException>(() => fdt.BeginNode("")).Error);
    }

    [Fact]
    public void RootMustBeNamelessAndOthersNamed()
    {
        var fdt = new FdtWriter();
        Assert.Throws<FdtNameException>(() => fdt.BeginNode("root"));
        fdt.BeginNode("");
        Assert.Throws<FdtNameException>(() => fdt.BeginNode(""));
    }

    [Fact]
    public void FinishingWithNodesOpenIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.BeginNode("cpus");
        Assert.Equal(FdtStructureError.Unfinished, Assert.Throws<FdtStructureException>(() => fdt.Finish(Limit)).Error);
    }

    [Fact]
    public void FinishingWithoutARootIsRefused()
    {
        Assert.Equal(FdtStructureError.Unfinished, Assert.Throws<FdtStructureException>(() => new FdtWriter().Finish(Limit)).Error);
    }

    [Fact]
    public void NothingIsWrittenAfterFinish()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.EndNode();
        fdt.Finish(Limit);
        Assert.Equal(FdtStructureError.AlreadyFinished, Assert.Throws<FdtStructureException>(() => fdt.Finish(Limit)).Error);
        Assert.Equal(FdtStructureError.AlreadyFinished, Assert.Throws<FdtStructureException>(() => fdt.BeginNode("x")).Error);
    }

    [Fact]
    public void DuplicatePropertyIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.PropertyU32("reg", 1);
        Assert.Equal("reg", Assert.Throws<FdtDuplicateException>(() => fdt.PropertyString("reg", "x")).Name);
    }

    [Fact]
    public void DuplicateChildIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.BeginNode("cpu@0");
        fdt.EndNode();
        Assert.Equal("cpu@0", Assert.Throws<FdtDuplicateException>(() => fdt.BeginNode("cpu@0")).Name);
        // The same name under another parent is fine.
        fdt.BeginNode("cpus");
        fdt.BeginNode("cpu@0");
    }

    [Theory]
    [InlineData("cpu@")]
    [InlineData("@0")]
    [InlineData("0cpu")]
    [InlineData("cpu node")]
    [InlineData("cpu/0")]
    [InlineData("cpu#0")]
    [InlineData("cpu@0@1")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdef")]
    [InlineData("caf\u00e9")]
    public void BadNodeNamesAreRefused(string name)
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        Assert.Equal(name, Assert.Throws<FdtNameException>(() => fdt.BeginNode(name)).Name);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("cpu@0")]
    [InlineData("interrupt-controller@8000000")]
    [InlineData("A,b.c_d+e-f@1,2")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcde@ffffffffffffffffffff")]
    public void GoodNodeNamesAreTaken(string name)
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.BeginNode(name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a@b")]
    [InlineData("a/b")]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdef")]
    public void BadPropertyNamesAreRefused(string name)
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        Assert.Throws<FdtNameException>(() => fdt.PropertyEmpty(name));
    }

    [Fact]
    public void StringWithNulIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        Assert.Throws<FdtValueException>(() => fdt.PropertyStringList("compatible", "a", "b\0c"));
    }

    [Fact]
    public void EmptyOrWrappingReservationIsRefused()
    {
        var fdt = new FdtWriter();
        Assert.Throws<FdtValueException>(() => fdt.AddMemoryReservation(0x1000, 0));
        Assert.Throws<FdtValueException>(() => fdt.AddMemoryReservation(ulong.MaxValue, 2));
        fdt.AddMemoryReservation(ulong.MaxValue, 1);
    }

    [Fact]
    public void PhandlesStartAtOneAndDiffer()
    {
        var fdt = new FdtWriter();
        Assert.Equal(1u, fdt.AllocatePhandle());
        Assert.Equal(2u, fdt.AllocatePhandle());
    }

    [Fact]
    public void TreeOverTheLimitIsRefused()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.Property("blob", new byte[4096]);
        fdt.EndNode();
        long size = fdt.TotalSize;
        var e = Assert.Throws<FdtSizeException>(() => fdt.Finish(size - 1));
        Assert.Equal(size, e.Size);
        Assert.Equal(size - 1, e.Limit);
    }

    [Fact]
    public void TreeAtTheLimitIsTaken()
    {
        var fdt = new FdtWriter();
        fdt.BeginNode("");
        fdt.Property("blob", new byte[4096]);
        fdt.EndNode();
        Assert.Equal(fdt.TotalSize, fdt.Finish(fdt.TotalSize).Length);
    }
}
