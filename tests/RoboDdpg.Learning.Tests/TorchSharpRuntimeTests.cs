using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using RoboDdpg.Build;
using TorchSharp;

namespace RoboDdpg.Learning.Tests;

/// <summary>
/// TorchSharp loads and computes in this output folder, and the libLibTorchSharp.so fix-up of
/// build/TorchSharpNative.targets (code in build/ElfVersionNeeds.cs, compiled into this assembly too) does what it should.
/// </summary>
public sealed class TorchSharpRuntimeTests
{
    private const string MissingOnDebian12 = "GLIBCXX_3.4.32";

    [Fact]
    public void Backward_of_sum_of_three_x_squared_gives_six_x()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 1f, -2f, 0.5f, 3f }, requires_grad: true);
        var y = (x * x * 3f).sum();
        y.backward();

        Assert.Equal(42.75f, y.item<float>()); // 3·(1 + 4 + 0.25 + 9)
        Assert.Equal(new float[] { 6f, -12f, 3f, 18f }, x.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Patch_weakens_only_missing_glibcxx_versions_no_relocation_uses_and_is_idempotent()
    {
        byte[] original = File.ReadAllBytes(CachedLibTorchSharp());
        List<ElfVersionNeed> needs = ElfVersions.ReadVersionNeeds(original);
        ElfVersionNeed missing = Assert.Single(needs, n => n.Name == MissingOnDebian12);
        Assert.False(missing.ReferencedByRelocation); // only _ZSt21ios_base_library_initv, never bound
        Assert.True(Assert.Single(needs, n => n.Name == "GLIBCXX_3.4.30").ReferencedByRelocation);

        // A host that lacks 3.4.32 and also 3.4.30, whose symbols really are bound.
        var host = needs.Select(n => n.Name).Where(n => n != MissingOnDebian12 && n != "GLIBCXX_3.4.30").ToHashSet();
        byte[] image = (byte[])original.Clone();
        ElfWeakenResult result = ElfVersions.WeakenMissingLibStdCxxVersions(image, host);

        Assert.Equal([MissingOnDebian12], result.Weakened);
        Assert.Equal(["GLIBCXX_3.4.30"], result.Unfixable);
        int changed = Assert.Single(Enumerable.Range(0, image.Length), i => image[i] != original[i]);
        Assert.Equal(missing.FlagsOffset, changed);
        foreach (ElfVersionNeed need in ElfVersions.ReadVersionNeeds(image))
        {
            Assert.Equal(need.Name == MissingOnDebian12, need.IsWeak);
        }

        byte[] again = (byte[])image.Clone();
        Assert.Empty(ElfVersions.WeakenMissingLibStdCxxVersions(again, host).Weakened);
        Assert.Equal(image, again);

        byte[] complete = (byte[])original.Clone();
        Assert.Empty(ElfVersions.WeakenMissingLibStdCxxVersions(complete, needs.Select(n => n.Name).ToHashSet()).Weakened);
        Assert.Equal(original, complete);
    }

    [Fact]
    public void Nuget_cache_copy_is_untouched()
    {
        string cached = CachedLibTorchSharp();
        string packageDir = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(cached)!, "../../.."));
        string nupkg = Assert.Single(Directory.GetFiles(packageDir, "*.nupkg"));
        using ZipArchive archive = ZipFile.OpenRead(nupkg);
        using var packaged = new MemoryStream();
        using (Stream entry = archive.GetEntry("runtimes/linux-x64/native/libLibTorchSharp.so")!.Open())
        {
            entry.CopyTo(packaged);
        }

        byte[] bytes = File.ReadAllBytes(cached);
        Assert.Equal(packaged.ToArray(), bytes);
        Assert.DoesNotContain(ElfVersions.ReadVersionNeeds(bytes), n => n.IsWeak);
    }

    [Fact]
    public void Output_copy_is_weakened_exactly_where_the_host_libstdcxx_lacks_a_version()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string output = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "libLibTorchSharp.so");
        byte[] outputBytes = File.ReadAllBytes(output);
        byte[] cachedBytes = File.ReadAllBytes(CachedLibTorchSharp());
        string? libStdCxx = ElfVersions.FindHostLibStdCxx(ElfVersions.ReadMachine(outputBytes));
        Assert.NotNull(libStdCxx);
        HashSet<string> host = ElfVersions.ReadDefinedVersions(File.ReadAllBytes(libStdCxx));
        Assert.Contains("GLIBCXX_3.4", host);

        // What the build should have produced from the cache copy, compared byte for byte.
        ElfVersions.WeakenMissingLibStdCxxVersions(cachedBytes, host);
        Assert.Equal(cachedBytes, outputBytes);
        Assert.Equal(!host.Contains(MissingOnDebian12), ElfVersions.ReadVersionNeeds(outputBytes).Single(n => n.Name == MissingOnDebian12).IsWeak);
    }

    [Fact]
    public void ReplaceFile_breaks_hard_and_symbolic_links_and_keeps_the_timestamp()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        string dir = Directory.CreateTempSubdirectory("elfpatch").FullName;
        try
        {
            string original = Path.Combine(dir, "original.so");
            File.WriteAllBytes(original, [1, 2, 3]);
            var stamp = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(original, stamp);
            string hardLink = Path.Combine(dir, "hard.so");
            Assert.Equal(0, Link(original, hardLink));
            string symLink = Path.Combine(dir, "sym.so");
            File.CreateSymbolicLink(symLink, original);

            ElfVersions.ReplaceFile(hardLink, [4, 5, 6]);
            ElfVersions.ReplaceFile(symLink, [7, 8, 9]);

            Assert.Equal([1, 2, 3], File.ReadAllBytes(original));
            Assert.Equal([4, 5, 6], File.ReadAllBytes(hardLink));
            Assert.Equal([7, 8, 9], File.ReadAllBytes(symLink));
            Assert.Null(new FileInfo(symLink).LinkTarget);
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(hardLink));
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(symLink));
            Assert.Equal(3, Directory.GetFiles(dir).Length); // no temporary file left behind
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [DllImport("libc", EntryPoint = "link")]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    /// <summary>The package cache copy the build copied from: $(NuGetPackageRoot)/torchsharp/&lt;TorchSharp version&gt;/.</summary>
    private static string CachedLibTorchSharp()
    {
        string root = typeof(TorchSharpRuntimeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        Version version = typeof(torch).Assembly.GetName().Version!;
        return Path.Combine(root, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }
}
