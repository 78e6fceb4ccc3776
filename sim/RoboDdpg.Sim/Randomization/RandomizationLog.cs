using System.Globalization;
using System.Text;

namespace RoboDdpg.Sim.Randomization;

/// <summary>
/// CSV log of the sampled parameters, one row per episode: <c>episode,seed,&lt;param1&gt;,…</c>. Appends to an
/// existing file with the same header (so a resumed run continues the same log) and flushes every row, so a crash
/// loses at most the row being written.
/// </summary>
public sealed class RandomizationLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly string[] _names;
    private readonly StringBuilder _row = new();

    /// <param name="path">CSV file; created with a header, or appended to if it already has this header.</param>
    /// <param name="names">Parameter columns, e.g. <see cref="RandomizationConfig.Names"/>.</param>
    /// <exception cref="InvalidDataException">The existing file has another header (one line, "file: problem").</exception>
    public RandomizationLog(string path, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(names);
        FilePath = path;
        _names = names.ToArray();
        var header = string.Join(',', new[] { "episode", "seed" }.Concat(_names));

        var exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists)
        {
            using var reader = new StreamReader(path);
            var existing = reader.ReadLine();
            if (existing != header)
                throw new InvalidDataException($"{path}: header '{existing}' does not match '{header}'");
        }
        _writer = new StreamWriter(path, append: true, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        if (!exists)
        {
            _writer.WriteLine(header);
            _writer.Flush();
        }
    }

    public string FilePath { get; }

    /// <summary>Appends one row and flushes. Subscribe it to <see cref="RandomizedEnvironment.EpisodeSampled"/>.</summary>
    public void Write(RandomizationSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!sample.Names.SequenceEqual(_names))
            throw new ArgumentException($"{FilePath}: sample columns ({string.Join(',', sample.Names)}) differ from the log's", nameof(sample));
        _row.Clear();
        _row.Append(sample.Episode.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(sample.Seed.ToString(CultureInfo.InvariantCulture));
        foreach (var value in sample.Values)
            _row.Append(',').Append(value.ToString("R", CultureInfo.InvariantCulture));
        _writer.WriteLine(_row);
        _writer.Flush();
    }

    /// <summary>Logs every episode of <paramref name="environment"/> from now on.</summary>
    public void Attach(RandomizedEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        environment.EpisodeSampled += Write;
    }

    public void Dispose() => _writer.Dispose();
}
