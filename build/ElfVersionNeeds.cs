// ELF64 symbol-version helpers used to make libLibTorchSharp.so load on hosts whose libstdc++ lacks a
// GLIBCXX version the library only names (see build/TorchSharpNative.targets).
// Compiled twice: by RoslynCodeTaskFactory as the inline task (against netstandard2.0 reference assemblies,
// so keep to that API surface), and into tests/RoboDdpg.Learning.Tests with ROBODDPG_ELF_NO_MSBUILD defined.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace RoboDdpg.Build;

/// <summary>One Vernaux entry of a SHT_GNU_verneed section: a version the object needs from a library.</summary>
internal sealed class ElfVersionNeed
{
    public ElfVersionNeed(string file, string name, ushort flags, ushort index, int flagsOffset, bool referencedByRelocation)
    {
        File = file;
        Name = name;
        Flags = flags;
        Index = index;
        FlagsOffset = flagsOffset;
        ReferencedByRelocation = referencedByRelocation;
    }

    /// <summary>vn_file of the owning Verneed, e.g. libstdc++.so.6.</summary>
    public string File { get; }

    /// <summary>vna_name, e.g. GLIBCXX_3.4.32.</summary>
    public string Name { get; }

    public ushort Flags { get; }

    /// <summary>vna_other: the index .gnu.version entries use for this version.</summary>
    public ushort Index { get; }

    /// <summary>File offset of vna_flags.</summary>
    public int FlagsOffset { get; }

    /// <summary>True when a dynamic relocation binds a symbol carrying this version.</summary>
    public bool ReferencedByRelocation { get; }

    public bool IsWeak => (Flags & ElfVersions.VerFlgWeak) != 0;
}

internal sealed class ElfWeakenResult
{
    /// <summary>Versions whose vna_flags were changed to weak in the image.</summary>
    public List<string> Weakened { get; } = new List<string>();

    /// <summary>Missing versions a relocation really uses: weakening would only defer the failure, so they are left alone.</summary>
    public List<string> Unfixable { get; } = new List<string>();
}

internal static class ElfVersions
{
    public const ushort VerFlgWeak = 0x2;

    private const uint ShtRela = 4;
    private const uint ShtNobits = 8;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    /// <summary>e_machine of an ELF64 little-endian image.</summary>
    public static ushort ReadMachine(byte[] image) => new Elf(image).Machine;

    /// <summary>Names of the versions an object defines (SHT_GNU_verdef), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
    public static HashSet<string> ReadDefinedVersions(byte[] image)
    {
        var elf = new Elf(image);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int s = 0; s < elf.SectionCount; s++)
        {
            Section sec = elf.GetSection(s);
            if (sec.Type != ShtGnuVerdef)
            {
                continue;
            }

            Section strtab = elf.GetSection((int)sec.Link);
            long vd = sec.Offset;
            for (uint i = 0; i < sec.Info; i++)
            {
                elf.CheckWithin(sec, vd, 20);
                uint vdAux = elf.U32(vd + 12);
                uint vdNext = elf.U32(vd + 16);
                if (elf.U16(vd + 6) > 0)
                {
                    // The first Verdaux names the version itself; any further ones name its parents.
                    elf.CheckWithin(sec, vd + vdAux, 8);
                    names.Add(elf.String(strtab, elf.U32(vd + vdAux)));
                }

                if (vdNext == 0)
                {
                    break;
                }

                vd += vdNext;
            }
        }

        return names;
    }

    /// <summary>All Vernaux entries of all SHT_GNU_verneed sections, walked through vn_next / vna_next.</summary>
    public static List<ElfVersionNeed> ReadVersionNeeds(byte[] image)
    {
        var elf = new Elf(image);
        HashSet<ushort> relocated = ReadRelocatedVersionIndices(elf);
        var needs = new List<ElfVersionNeed>();
        for (int s = 0; s < elf.SectionCount; s++)
        {
            Section sec = elf.GetSection(s);
            if (sec.Type != ShtGnuVerneed)
            {
                continue;
            }

            Section strtab = elf.GetSection((int)sec.Link);
            long vn = sec.Offset;
            for (uint i = 0; i < sec.Info; i++)
            {
                elf.CheckWithin(sec, vn, 16);
                ushort vnCnt = elf.U16(vn + 2);
                string file = elf.String(strtab, elf.U32(vn + 4));
                uint vnAux = elf.U32(vn + 8);
                uint vnNext = elf.U32(vn + 12);
                long vna = vn + vnAux;
                for (int j = 0; j < vnCnt; j++)
                {
                    elf.CheckWithin(sec, vna, 16);
                    ushort flags = elf.U16(vna + 4);
                    ushort other = elf.U16(vna + 6);
                    string name = elf.String(strtab, elf.U32(vna + 8));
                    needs.Add(new ElfVersionNeed(file, name, flags, other, checked((int)(vna + 4)), relocated.Contains(other)));
                    uint vnaNext = elf.U32(vna + 12);
                    if (vnaNext == 0)
                    {
                        break;
                    }

                    vna += vnaNext;
                }

                if (vnNext == 0)
                {
                    break;
                }

                vn += vnNext;
            }
        }

        return needs;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK, in <paramref name="image"/>, on every libstdc++ GLIBCXX_* version need that
    /// <paramref name="hostVersions"/> does not define and that no relocation uses. Idempotent.
    /// </summary>
    public static ElfWeakenResult WeakenMissingLibStdCxxVersions(byte[] image, ICollection<string> hostVersions)
    {
        var result = new ElfWeakenResult();
        foreach (ElfVersionNeed need in ReadVersionNeeds(image))
        {
            if (!need.File.StartsWith("libstdc++.so", StringComparison.Ordinal)
                || !need.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal)
                || hostVersions.Contains(need.Name)
                || need.IsWeak)
            {
                continue;
            }

            if (need.ReferencedByRelocation)
            {
                result.Unfixable.Add(need.Name);
                continue;
            }

            ushort flags = (ushort)(need.Flags | VerFlgWeak);
            image[need.FlagsOffset] = (byte)flags;
            image[need.FlagsOffset + 1] = (byte)(flags >> 8);
            result.Weakened.Add(need.Name);
        }

        return result;
    }

    /// <summary>
    /// Replaces <paramref name="path"/> by a new file holding <paramref name="image"/>: a temporary file in the same
    /// folder renamed over it, so a hard or symbolic link to a NuGet cache file is replaced, never written through.
    /// Keeps the file mode and the last-write time (so MSBuild's size+time up-to-date check of the copy still holds).
    /// </summary>
    public static void ReplaceFile(string path, byte[] image)
    {
        string fullPath = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(fullPath)!, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            File.Copy(fullPath, temp); // a new inode with the mode and last-write time of the (link target) file
            DateTime lastWrite = File.GetLastWriteTimeUtc(temp);
            using (var stream = new FileStream(temp, FileMode.Truncate, FileAccess.Write))
            {
                stream.Write(image, 0, image.Length);
            }

            File.SetLastWriteTimeUtc(temp, lastWrite);
            File.Replace(temp, fullPath, null); // rename(2) on Unix
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// The libstdc++ the dynamic loader uses on this host for objects of the given e_machine: the one mapped into
    /// this process (the .NET runtime links libstdc++ on Linux), else the first match from `ldconfig -p`.
    /// </summary>
    public static string? FindHostLibStdCxx(ushort machine)
    {
        var candidates = new List<string>();
        try
        {
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && Path.GetFileName(line.Substring(slash)).StartsWith("libstdc++.so", StringComparison.Ordinal))
                {
                    candidates.Add(line.Substring(slash));
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        candidates.AddRange(LdconfigLibStdCxx());
        foreach (string candidate in candidates)
        {
            try
            {
                byte[] header = new byte[64];
                using (var stream = new FileStream(candidate, FileMode.Open, FileAccess.Read))
                {
                    if (stream.Read(header, 0, header.Length) == header.Length && Elf.IsElf64Lsb(header) && new Elf(header, headerOnly: true).Machine == machine)
                    {
                        return candidate;
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    private static List<string> LdconfigLibStdCxx()
    {
        var paths = new List<string>();
        foreach (string ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
        {
            if (!File.Exists(ldconfig))
            {
                continue;
            }

            try
            {
                var info = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
                using (Process process = Process.Start(info)!)
                {
                    string output = process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    foreach (string line in output.Split('\n'))
                    {
                        int arrow = line.IndexOf("=> ", StringComparison.Ordinal);
                        if (line.TrimStart().StartsWith("libstdc++.so.", StringComparison.Ordinal) && arrow >= 0)
                        {
                            paths.Add(line.Substring(arrow + 3).Trim());
                        }
                    }
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
            catch (IOException)
            {
            }

            break;
        }

        return paths;
    }

    /// <summary>Version indices (.gnu.version values) of the symbols that dynamic relocations bind.</summary>
    private static HashSet<ushort> ReadRelocatedVersionIndices(Elf elf)
    {
        var indices = new HashSet<ushort>();
        int dynsym = -1;
        Section versym = default;
        bool haveVersym = false;
        for (int s = 0; s < elf.SectionCount; s++)
        {
            Section sec = elf.GetSection(s);
            if (sec.Type == ShtDynsym)
            {
                dynsym = s;
            }
            else if (sec.Type == ShtGnuVersym)
            {
                versym = sec;
                haveVersym = true;
            }
        }

        if (dynsym < 0 || !haveVersym)
        {
            return indices;
        }

        for (int s = 0; s < elf.SectionCount; s++)
        {
            Section sec = elf.GetSection(s);
            if ((sec.Type != ShtRela && sec.Type != ShtRel) || sec.Link != dynsym)
            {
                continue;
            }

            long entrySize = sec.EntrySize != 0 ? (long)sec.EntrySize : (sec.Type == ShtRela ? 24 : 16);
            for (long r = sec.Offset; r + entrySize <= sec.Offset + sec.Size; r += entrySize)
            {
                uint symbol = (uint)(elf.U64(r + 8) >> 32); // ELF64_R_SYM(r_info)
                if (symbol != 0)
                {
                    elf.CheckWithin(versym, versym.Offset + (2L * symbol), 2);
                    indices.Add((ushort)(elf.U16(versym.Offset + (2L * symbol)) & 0x7fff));
                }
            }
        }

        return indices;
    }

    private struct Section
    {
        public uint Type;
        public long Offset;
        public long Size;
        public uint Link;
        public uint Info;
        public ulong EntrySize;
    }

    /// <summary>Bounds-checked reader of an ELF64 little-endian image (ELF header and section header table).</summary>
    private sealed class Elf
    {
        private readonly byte[] _image;
        private readonly long _sectionTable;
        private readonly int _sectionEntrySize;

        public Elf(byte[] image, bool headerOnly = false)
        {
            _image = image;
            if (!IsElf64Lsb(image))
            {
                throw new InvalidDataException("Not an ELF64 little-endian file.");
            }

            Machine = U16(0x12);
            if (headerOnly)
            {
                return;
            }

            _sectionTable = checked((long)U64(0x28));
            _sectionEntrySize = U16(0x3A);
            int count = U16(0x3C);
            if (_sectionTable == 0 || _sectionEntrySize < 64)
            {
                throw new InvalidDataException("ELF file has no usable section header table.");
            }

            Check(_sectionTable, _sectionEntrySize);
            if (count == 0)
            {
                count = checked((int)U64(_sectionTable + 32)); // e_shnum overflow: the count is in section 0's sh_size
            }

            Check(_sectionTable, (long)count * _sectionEntrySize);
            SectionCount = count;
        }

        public ushort Machine { get; }

        public int SectionCount { get; }

        public static bool IsElf64Lsb(byte[] image) =>
            image.Length >= 64 && image[0] == 0x7f && image[1] == (byte)'E' && image[2] == (byte)'L' && image[3] == (byte)'F'
            && image[4] == 2 /* ELFCLASS64 */ && image[5] == 1 /* ELFDATA2LSB */;

        public Section GetSection(int index)
        {
            if (index < 0 || index >= SectionCount)
            {
                throw new InvalidDataException($"Section index {index} out of range.");
            }

            long h = _sectionTable + ((long)index * _sectionEntrySize);
            var sec = new Section
            {
                Type = U32(h + 4),
                Offset = checked((long)U64(h + 24)),
                Size = checked((long)U64(h + 32)),
                Link = U32(h + 40),
                Info = U32(h + 44),
                EntrySize = U64(h + 56),
            };
            if (sec.Type != ShtNobits)
            {
                Check(sec.Offset, sec.Size);
            }

            return sec;
        }

        public void CheckWithin(Section sec, long offset, long length)
        {
            if (offset < sec.Offset || offset + length > sec.Offset + sec.Size)
            {
                throw new InvalidDataException($"ELF structure at 0x{offset:x} runs outside its section.");
            }
        }

        /// <summary>NUL-terminated string at <paramref name="offset"/> of a string table section.</summary>
        public string String(Section strtab, uint offset)
        {
            long start = strtab.Offset + offset;
            long end = start;
            while (end < strtab.Offset + strtab.Size && _image[end] != 0)
            {
                end++;
            }

            if (end >= strtab.Offset + strtab.Size)
            {
                throw new InvalidDataException($"Unterminated string at 0x{start:x}.");
            }

            return Encoding.ASCII.GetString(_image, (int)start, (int)(end - start));
        }

        public ushort U16(long offset)
        {
            Check(offset, 2);
            return (ushort)(_image[offset] | (_image[offset + 1] << 8));
        }

        public uint U32(long offset)
        {
            Check(offset, 4);
            return (uint)(_image[offset] | (_image[offset + 1] << 8) | (_image[offset + 2] << 16) | (_image[offset + 3] << 24));
        }

        public ulong U64(long offset) => U32(offset) | ((ulong)U32(offset + 4) << 32);

        private void Check(long offset, long length)
        {
            if (offset < 0 || length < 0 || offset + length > _image.Length)
            {
                throw new InvalidDataException($"ELF structure at 0x{offset:x} lies outside the file.");
            }
        }
    }
}

#if !ROBODDPG_ELF_NO_MSBUILD
/// <summary>
/// For each existing file in <see cref="Files"/> (copies of libLibTorchSharp.so in an output or publish folder):
/// marks the GLIBCXX versions the host libstdc++ lacks as weak, replacing the file rather than editing it in place.
/// </summary>
public sealed class PatchLibTorchSharpVersionNeeds : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    public override bool Execute()
    {
        foreach (Microsoft.Build.Framework.ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                Patch(path);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException || e is OverflowException)
            {
                Log.LogError($"Could not patch the GLIBCXX version needs of {path}: {e.Message}");
            }
        }

        return !Log.HasLoggedErrors;
    }

    private void Patch(string path)
    {
        byte[] image = File.ReadAllBytes(path);
        string? libStdCxx = ElfVersions.FindHostLibStdCxx(ElfVersions.ReadMachine(image));
        if (libStdCxx == null)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"No host libstdc++ matches {path}; left as is.");
            return;
        }

        ElfWeakenResult result = ElfVersions.WeakenMissingLibStdCxxVersions(image, ElfVersions.ReadDefinedVersions(File.ReadAllBytes(libStdCxx)));
        foreach (string version in result.Unfixable)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                $"{path} uses symbols of {version}, which {libStdCxx} does not define: it will not load on this host.");
        }

        if (result.Weakened.Count == 0)
        {
            return;
        }

        ElfVersions.ReplaceFile(path, image);
        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
            $"Marked {string.Join(", ", result.Weakened)} weak in {path} ({libStdCxx} lacks it; no relocation uses it).");
    }
}
#endif
