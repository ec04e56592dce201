using DevMentor.Core.Git;
using DevMentor.Functions.Tests.Builds;

namespace DevMentor.Functions.Tests.Git;

/// <summary>
/// Real repositories made with the git command line, once per test class: a history with a binary
/// file, an executable, a symlink, a submodule link, a rename, a deletion, an annotated tag, a
/// deleted branch and a tree of a few thousand files; a bare remote whose main was force-pushed;
/// and a shallow clone.
/// </summary>
public sealed class GitReaderRepositories : IDisposable
{
    public const int ManyFiles = 3000;
    public static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0xFF];

    public GitReaderRepositories()
    {
        Root = Directory.CreateTempSubdirectory("devmentor-git-reader-").FullName;
        Work = Path.Combine(Root, "work");
        Directory.CreateDirectory(Work);
        GitCli.Run(Work, "init", "--quiet");

        Write("README.md", "# Widgets\n");
        Write("src/app.txt", string.Join('\n', Enumerable.Range(1, 40).Select(i => $"line {i} of the application")) + "\n");
        Directory.CreateDirectory(Path.Combine(Work, "assets"));
        File.WriteAllBytes(Path.Combine(Work, "assets", "logo.png"), Png);
        Write("tools/run.sh", "#!/bin/sh\necho run\n");
        File.SetUnixFileMode(Path.Combine(Work, "tools", "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(Work, "readme-link"), "README.md");
        GitCli.Run(Work, "add", "-A");
        GitCli.Run(Work, "commit", "--quiet", "--date=2024-05-06T07:08:09+02:00", "-m", "First commit\n\nWith a body.");
        First = GitCli.Run(Work, "rev-parse", "HEAD");
        GitCli.Run(Work, "tag", "-a", "v1", "-m", "release 1");

        // Second: a rename (content kept, one line changed), an edit, a deletion, an addition and a submodule link.
        File.Move(Path.Combine(Work, "src", "app.txt"), Path.Combine(Work, "src", "main.txt"));
        File.AppendAllText(Path.Combine(Work, "src", "main.txt"), "one more line\n");
        Write("README.md", "# Widgets\n\nNow documented.\n");
        File.Delete(Path.Combine(Work, "tools", "run.sh"));
        Write("docs/guide.md", "guide\n");
        GitCli.Run(Work, "add", "-A");
        GitCli.Run(Work, "update-index", "--add", "--cacheinfo", $"160000,{First},vendor/lib"); // after add -A, which would drop it (no folder on disk)
        GitCli.Run(Work, "commit", "--quiet", "-m", "Second commit");
        Second = GitCli.Run(Work, "rev-parse", "HEAD");
        GitCli.Run(Work, "tag", "light");

        // A branch that is deleted: its commit stays readable by sha.
        GitCli.Run(Work, "checkout", "--quiet", "-b", "gone");
        Write("gone.txt", "soon unreachable by name\n");
        Gone = GitCli.CommitAll(Work, "On a branch about to go");
        GitCli.Run(Work, "checkout", "--quiet", "main");
        GitCli.Run(Work, "branch", "-D", "gone");

        GitCli.Run(Work, "checkout", "--quiet", "-b", "feature");
        Write("feature.txt", "feature\n");
        Feature = GitCli.CommitAll(Work, "Feature work");
        GitCli.Run(Work, "checkout", "--quiet", "main");

        for (var i = 0; i < ManyFiles; i++)
        {
            Write($"many/d{i % 30:00}/file{i:0000}.txt", $"file {i}\n");
        }

        Many = GitCli.CommitAll(Work, "A few thousand files");

        // A remote whose main is rewritten by a force-push: the old tip stays in its object store.
        Bare = Path.Combine(Root, "remote.git");
        GitCli.Run(Root, "clone", "--quiet", "--bare", Work, Bare);
        var rewriter = Path.Combine(Root, "rewriter");
        GitCli.Run(Root, "clone", "--quiet", Bare, rewriter);
        GitCli.Run(rewriter, "reset", "--quiet", "--hard", Second);
        File.WriteAllText(Path.Combine(rewriter, "rewritten.txt"), "history was rewritten\n");
        Rewritten = GitCli.CommitAll(rewriter, "Rewritten main");
        GitCli.Run(rewriter, "push", "--quiet", "--force", "origin", "main");

        Shallow = Path.Combine(Root, "shallow");
        GitCli.Run(Root, "clone", "--quiet", "--depth", "1", "--branch", "main", new Uri(Work).AbsoluteUri, Shallow);
    }

    public string Root { get; }
    public string Work { get; }
    public string Bare { get; }
    public string Shallow { get; }
    public string First { get; }
    public string Second { get; }
    public string Gone { get; }
    public string Feature { get; }
    public string Many { get; }
    public string Rewritten { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(Work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}

public sealed class GitRepositoryReaderTests(GitReaderRepositories repos) : IClassFixture<GitReaderRepositories>
{
    private readonly LibGit2Repositories _git = new();

    [Fact]
    public void The_native_library_loads_and_reads_heads_and_commits()
    {
        using var reader = _git.Open(repos.Work);

        Assert.False(reader.IsBare);
        Assert.False(reader.IsShallow);
        Assert.Equal((repos.Many, "refs/heads/main"), (reader.HeadSha, reader.HeadBranch));
        var first = reader.FindCommit(repos.First)!;
        Assert.Equal(("First commit", "First commit\n\nWith a body.\n"), (first.Subject, first.Message));
        Assert.Empty(first.Parents);
        Assert.Equal(("DevMentor Tests", "tests@devmentor.invalid"), (first.Author.Name, first.Author.Email));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)), first.Author.When);
        Assert.Equal(TimeSpan.FromHours(2), first.Author.When.Offset);
        Assert.Equal(GitCli.Run(repos.Work, "rev-parse", $"{repos.First}^{{tree}}"), first.TreeSha);
        Assert.Equal([repos.First], reader.FindCommit(repos.Second)!.Parents);
    }

    [Theory]
    [InlineData("main", "Many")]
    [InlineData("refs/heads/main", "Many")]
    [InlineData("HEAD~1", "Second")]
    [InlineData("feature", "Feature")]
    [InlineData("v1", "First")]            // annotated: followed to its commit
    [InlineData("light", "Second")]
    [InlineData("main^{commit}", "Many")]
    public void Revisions_name_commits_by_ref_tag_and_git_syntax(string revision, string expected)
    {
        using var reader = _git.Open(repos.Work);

        Assert.Equal(Sha(expected), reader.FindCommit(revision)?.Sha);
        Assert.Equal(Sha(expected), reader.FindCommit(Sha(expected)[..10])?.Sha); // abbreviated
    }

    [Theory]
    [InlineData("no-such-branch")]
    [InlineData("gone")]                                    // deleted: gone by name
    [InlineData("0123456789abcdef0123456789abcdef01234567")]
    [InlineData("--upload-pack=x")]
    [InlineData("main:README.md")]                           // a blob, not a commit
    [InlineData("")]
    public void Revisions_that_name_no_commit_are_null(string revision)
    {
        using var reader = _git.Open(repos.Work);

        Assert.Null(reader.FindCommit(revision));
    }

    [Fact]
    public void A_deleted_branch_is_no_longer_a_ref_but_its_commit_is_still_read_by_sha()
    {
        using var reader = _git.Open(repos.Work);

        var refs = reader.References();

        Assert.DoesNotContain(refs, r => r.ShortName == "gone");
        Assert.Equal("On a branch about to go", reader.FindCommit(repos.Gone)?.Subject);
        Assert.Equal([("refs/heads/feature", GitRefKind.Branch, repos.Feature), ("refs/heads/main", GitRefKind.Branch, repos.Many),
            ("refs/tags/light", GitRefKind.Tag, repos.Second), ("refs/tags/v1", GitRefKind.Tag, repos.First)],
            refs.Select(r => (r.Name, r.Kind, r.CommitSha)));
        Assert.Equal(["feature", "main", "light", "v1"], refs.Select(r => r.ShortName));
    }

    [Fact]
    public void The_log_walks_parents_newest_first_up_to_a_limit()
    {
        using var reader = _git.Open(repos.Work);

        Assert.Equal([repos.Many, repos.Second, repos.First], reader.Log("main", 10, CancellationToken.None).Select(c => c.Sha));
        Assert.Equal([repos.Many, repos.Second], reader.Log("main", 2, CancellationToken.None).Select(c => c.Sha));
        Assert.Throws<GitRevisionNotFoundException>(() => reader.Log("nope", 2, CancellationToken.None));
    }

    [Fact]
    public void A_recursive_listing_gives_path_mode_size_sha_and_binary_for_every_file()
    {
        using var reader = _git.Open(repos.Work);

        var entries = reader.ListTree(repos.First, new GitTreeListing(DetectBinary: true), CancellationToken.None).ToList();

        Assert.Equal(["README.md", "assets/logo.png", "readme-link", "src/app.txt", "tools/run.sh"], entries.Select(e => e.Path));
        var byPath = entries.ToDictionary(e => e.Path);
        Assert.Equal(("100644", GitEntryKind.File, 10L, false), (byPath["README.md"].Mode, byPath["README.md"].Kind, byPath["README.md"].Size!.Value, byPath["README.md"].IsBinary!.Value));
        Assert.Equal((GitEntryKind.File, (long)GitReaderRepositories.Png.Length, true), (byPath["assets/logo.png"].Kind, byPath["assets/logo.png"].Size!.Value, byPath["assets/logo.png"].IsBinary!.Value));
        Assert.Equal(("100755", GitEntryKind.ExecutableFile), (byPath["tools/run.sh"].Mode, byPath["tools/run.sh"].Kind));
        Assert.Equal(("120000", GitEntryKind.Symlink, 9L), (byPath["readme-link"].Mode, byPath["readme-link"].Kind, byPath["readme-link"].Size!.Value));
        Assert.All(entries, e => Assert.Equal(GitCli.Run(repos.Work, "rev-parse", $"{repos.First}:{e.Path}"), e.Sha));
    }

    [Fact]
    public void A_folder_can_be_listed_alone_and_without_recursion_and_submodules_are_links()
    {
        using var reader = _git.Open(repos.Work);

        var top = reader.ListTree(repos.Second, new GitTreeListing(Recursive: false), CancellationToken.None).ToList();
        var src = reader.ListTree(repos.Second, new GitTreeListing("src"), CancellationToken.None).Select(e => e.Path);

        Assert.Equal(["README.md", "assets", "docs", "readme-link", "src", "vendor"], top.Select(e => e.Path));
        Assert.Equal(("040000", GitEntryKind.Directory, (long?)null), (top[1].Mode, top[1].Kind, top[1].Size));
        Assert.Equal(["src/main.txt"], src);
        var submodule = Assert.Single(reader.ListTree(repos.Second, GitTreeListing.Default, CancellationToken.None), e => e.Path == "vendor/lib");
        Assert.Equal(("160000", GitEntryKind.Submodule, repos.First, (long?)null), (submodule.Mode, submodule.Kind, submodule.Sha, submodule.Size));
        Assert.Throws<GitRevisionNotFoundException>(() => reader.ListTree(repos.Second, new GitTreeListing("README.md"), CancellationToken.None));
        Assert.Throws<GitRevisionNotFoundException>(() => reader.ListTree("nope", null, CancellationToken.None));
    }

    [Fact]
    public void A_tree_of_a_few_thousand_files_is_listed_whole_and_the_listing_can_be_cancelled()
    {
        using var reader = _git.Open(repos.Work);

        var many = reader.ListTree(repos.Many, new GitTreeListing("many"), CancellationToken.None).ToList();

        Assert.Equal(GitReaderRepositories.ManyFiles, many.Count);
        Assert.Equal(GitCli.Run(repos.Work, "ls-tree", "-r", "--name-only", repos.Many).Split('\n'), reader.ListTree(repos.Many, null, CancellationToken.None).Select(e => e.Path));
        Assert.All(many, e =>
        {
            var number = int.Parse(e.Path[(e.Path.LastIndexOf("file", StringComparison.Ordinal) + 4)..^4], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal($"file {number}\n".Length, e.Size);
        });
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => reader.ListTree(repos.Many, null, cancel.Token).ToList());
    }

    [Fact]
    public void Changes_between_commits_name_additions_edits_deletions_renames_and_submodules()
    {
        using var reader = _git.Open(repos.Work);

        var changes = reader.Changes(repos.First, repos.Second, CancellationToken.None).OrderBy(c => c.Path, StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                (GitChangeKind.Modified, "README.md", (string?)null),
                (GitChangeKind.Added, "docs/guide.md", null),
                (GitChangeKind.Renamed, "src/main.txt", "src/app.txt"),
                (GitChangeKind.Deleted, "tools/run.sh", null),
                (GitChangeKind.Added, "vendor/lib", null),
            ],
            changes.Select(c => (c.Kind, c.Path, c.OldPath)));
        var deleted = changes.Single(c => c.Kind == GitChangeKind.Deleted);
        Assert.Equal((null, "100755", (string?)null), (deleted.Sha, deleted.OldMode, deleted.Mode));
        var renamed = changes.Single(c => c.Kind == GitChangeKind.Renamed);
        Assert.NotEqual(renamed.OldSha, renamed.Sha);
        Assert.Equal(("160000", repos.First), (changes[^1].Mode, changes[^1].Sha));

        var everything = reader.Changes(null, repos.First, CancellationToken.None);
        Assert.All(everything, c => Assert.Equal(GitChangeKind.Added, c.Kind));
        Assert.Equal(5, everything.Count);
        Assert.Empty(reader.Changes(repos.Second, repos.Second, CancellationToken.None));
    }

    [Fact]
    public void After_a_force_push_the_old_tip_is_no_ancestor_and_its_changes_to_the_new_one_are_still_read()
    {
        using var reader = _git.Open(repos.Bare);

        Assert.True(reader.IsBare);
        Assert.Equal(repos.Rewritten, reader.FindCommit("main")!.Sha);
        Assert.False(reader.IsAncestor(repos.Many, repos.Rewritten));
        Assert.True(reader.IsAncestor(repos.Second, repos.Rewritten));
        Assert.True(reader.IsAncestor(repos.Rewritten, repos.Rewritten));
        Assert.DoesNotContain(repos.Many, reader.Log("main", 100, CancellationToken.None).Select(c => c.Sha));

        var changes = reader.Changes(repos.Many, repos.Rewritten, CancellationToken.None);

        Assert.Contains(changes, c => (c.Kind, c.Path) == (GitChangeKind.Added, "rewritten.txt"));
        Assert.Equal(GitReaderRepositories.ManyFiles, changes.Count(c => c.Kind == GitChangeKind.Deleted && c.Path.StartsWith("many/", StringComparison.Ordinal)));
    }

    [Fact]
    public void File_contents_stream_as_committed_and_close_with_the_reader()
    {
        var reader = _git.Open(repos.Work);
        Stream png;
        try
        {
            png = reader.OpenFile(repos.First, "assets/logo.png")!;
            using var copy = new MemoryStream();
            png.CopyTo(copy);
            Assert.Equal(GitReaderRepositories.Png, copy.ToArray());

            using var readme = new StreamReader(reader.OpenFile("main", "/README.md")!);
            Assert.Equal("# Widgets\n\nNow documented.\n", readme.ReadToEnd());
            Assert.Null(reader.OpenFile("main", "tools/run.sh"));   // deleted in the second commit
            Assert.Null(reader.OpenFile("main", "src"));            // a folder
            Assert.Null(reader.OpenFile("main", "vendor/lib"));     // a submodule
            var file = reader.FindFile(repos.First, "assets/logo.png")!;
            Assert.Equal((GitEntryKind.File, (long)GitReaderRepositories.Png.Length, true), (file.Kind, file.Size, file.IsBinary));
            Assert.Equal("README.md", reader.FindFile(repos.First, "readme-link") is { Kind: GitEntryKind.Symlink } link
                ? new StreamReader(reader.OpenFile(repos.First, link.Path)!).ReadToEnd() : null);
        }
        finally
        {
            reader.Dispose();
        }

        Assert.Throws<ObjectDisposedException>(() => png.ReadByte());
    }

    [Fact]
    public void A_shallow_clone_reads_its_tip_without_parents()
    {
        using var reader = _git.Open(repos.Shallow);

        Assert.True(reader.IsShallow);
        var tip = reader.FindCommit("HEAD")!;
        Assert.Equal(repos.Many, tip.Sha);
        Assert.Empty(tip.Parents);
        Assert.Equal([repos.Many], reader.Log("HEAD", 10, CancellationToken.None).Select(c => c.Sha));
        Assert.Null(reader.FindCommit(repos.First));
    }

    [Fact]
    public void A_folder_that_is_no_repository_is_refused()
    {
        var empty = Directory.CreateTempSubdirectory("devmentor-not-a-repo-").FullName;
        try
        {
            Assert.Throws<GitRepositoryNotFoundException>(() => _git.Open(empty));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    private string Sha(string name) => name switch
    {
        "First" => repos.First,
        "Second" => repos.Second,
        "Feature" => repos.Feature,
        "Many" => repos.Many,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
