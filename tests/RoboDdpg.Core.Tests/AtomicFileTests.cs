using RoboDdpg.Core.IO;

namespace RoboDdpg.Core.Tests;

public sealed class AtomicFileTests
{
    [Fact]
    public void A_failed_write_leaves_the_old_file_intact_and_no_temp_file()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "data.bin");
        AtomicFile.WriteAllText(path, "good");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half-writ"u8);
            throw new InvalidOperationException("crash in the middle");
        }));

        Assert.Equal("good", File.ReadAllText(path));
        Assert.Equal(["data.bin"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_successful_write_replaces_the_content()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "data.txt");
        AtomicFile.WriteAllText(path, "old");
        AtomicFile.WriteAllText(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
    }
}
