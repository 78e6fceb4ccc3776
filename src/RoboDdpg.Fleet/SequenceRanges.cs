namespace RoboDdpg.Fleet;

/// <summary>
/// The sequence numbers received from one robot epoch, as sorted disjoint half-open ranges [start, end).
/// <see cref="AddNew"/> reports which part of an incoming range is new, so duplicates (a batch resent after a lost
/// acknowledgement) are dropped exactly, and <see cref="Missing"/> counts the holes below the highest number seen.
/// </summary>
public sealed class SequenceRanges
{
    private readonly List<(ulong Start, ulong End)> _ranges = [];

    public IReadOnlyList<(ulong Start, ulong End)> Ranges => _ranges;

    /// <summary>Numbers received.</summary>
    public ulong Received { get; private set; }

    /// <summary>One past the highest number received.</summary>
    public ulong End => _ranges.Count == 0 ? 0 : _ranges[^1].End;

    /// <summary>Numbers below <see cref="End"/> not received (yet): lost, or still on their way.</summary>
    public ulong Missing => End - Received;

    /// <summary>Adds [start, end) and writes the sub-ranges that were not there before into <paramref name="added"/> (cleared first).</summary>
    public void AddNew(ulong start, ulong end, List<(ulong Start, ulong End)> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        added.Clear();
        if (end <= start) return;
        // Walk the ranges that could overlap, collecting the gaps between them inside [start, end).
        var cursor = start;
        var i = FirstEndingAfter(start);
        for (var k = i; k < _ranges.Count && _ranges[k].Start < end; k++)
        {
            if (_ranges[k].Start > cursor) added.Add((cursor, _ranges[k].Start));
            cursor = Math.Max(cursor, _ranges[k].End);
        }
        if (cursor < end) added.Add((cursor, end));
        foreach (var (s, e) in added) Received += e - s;
        Merge(start, end, i);
    }

    private int FirstEndingAfter(ulong value)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_ranges[mid].End < value) lo = mid + 1; else hi = mid;
        }
        return lo; // ranges before lo end strictly before value (touching ranges are merged)
    }

    private void Merge(ulong start, ulong end, int from)
    {
        var k = from;
        var newStart = start;
        var newEnd = end;
        while (k < _ranges.Count && _ranges[k].Start <= end)
        {
            newStart = Math.Min(newStart, _ranges[k].Start);
            newEnd = Math.Max(newEnd, _ranges[k].End);
            _ranges.RemoveAt(k);
        }
        _ranges.Insert(k, (newStart, newEnd));
    }

    /// <summary>Restores saved ranges (sorted, disjoint).</summary>
    public static SequenceRanges FromRanges(IEnumerable<(ulong Start, ulong End)> ranges)
    {
        var result = new SequenceRanges();
        var scratch = new List<(ulong, ulong)>();
        foreach (var (s, e) in ranges) result.AddNew(s, e, scratch);
        return result;
    }
}
