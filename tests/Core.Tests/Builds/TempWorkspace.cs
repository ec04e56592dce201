namespace DevMentor.Core.Tests.Builds;

/// <summary>A throwaway directory with helpers to lay out repository files.</summary>
internal sealed class TempWorkspace : IDisposable
{
    public TempWorkspace() => Root = Directory.CreateTempSubdirectory("devmentor-build-test-").FullName;

    public string Root { get; }

    public TempWorkspace With(string relative, string content = "")
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return this;
    }

    /// <summary>A PATH holding only the named programs (empty executable files), to describe a runner.</summary>
    public string FakePath(params string[] programs)
    {
        var bin = Path.Combine(Root, "..", Path.GetFileName(Root) + "-bin");
        Directory.CreateDirectory(bin);
        foreach (var program in programs)
        {
            var file = Path.Combine(bin, program);
            File.WriteAllText(file, "#!/bin/sh\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return bin;
    }

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
        var bin = Path.Combine(Path.GetDirectoryName(Root)!, Path.GetFileName(Root) + "-bin");
        if (Directory.Exists(bin))
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
