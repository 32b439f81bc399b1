using System.Formats.Tar;
using Quetzal.Sdk.Container;
using Quetzal.Sdk.Tests.Infrastructure;

namespace Quetzal.Sdk.Tests.Unit;

public sealed class BuildContextTests : IDisposable
{
    private readonly TempDirectory _dir = new("context");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("scenarios", "scenarios/base/inputs/params.json", true)]
    [InlineData("**/__pycache__", "steps/__pycache__/x.pyc", true)]
    [InlineData("**/__pycache__", "__pycache__/x.pyc", true)]
    [InlineData("**/.env", ".env", true)]
    [InlineData("**/.env", "steps/.env", true)]
    [InlineData("**/.env.*", "steps/.env.local", true)]
    [InlineData("*.binlog", "msbuild.binlog", true)]
    [InlineData("*.binlog", "logs/msbuild.binlog", false)]
    [InlineData("**/*.pem", "a/b/c/key.pem", true)]
    [InlineData("**/id_rsa*", "home/.ssh/id_rsa.pub", true)]
    [InlineData("bin", "binaries/tool", false)]
    [InlineData("step?.py", "step1.py", true)]
    [InlineData("[a-c].py", "b.py", true)]
    [InlineData("/obj/", "obj/x", true)]
    [InlineData("**/tests", "quetzal/tests/test_x.py", true)]
    [InlineData("**/tests", "quetzal/contests.py", false)]
    [InlineData("**/*.pyc", "a/b.pyc", true)]
    [InlineData("a*/b", "ax/b/c.py", true)]
    [InlineData("a*/b", "ax/bc.py", false)]
    public void Patterns_match_as_the_docker_engine_matches_them(string pattern, string path, bool excluded)
        => Assert.Equal(excluded, new DockerIgnore([pattern]).IsExcluded(path));

    [Fact]
    public void Exceptions_and_order_decide_last_match_wins()
    {
        var ignore = new DockerIgnore(["# comment", "data", "!data/keep.csv", "data/keep.csv.bak"]);
        Assert.True(ignore.IsExcluded("data/a.csv"));
        Assert.False(ignore.IsExcluded("data/keep.csv"));
        Assert.True(ignore.IsExcluded("data/keep.csv.bak"));
        Assert.False(ignore.IsExcluded("steps/run.py"));
    }

    private string Model()
    {
        var model = _dir.Combine("model");
        TempDirectory.CopyDirectory(Repository.TemplateContent, model);
        File.WriteAllText(Path.Combine(model, ".dockerignore"), ContainerFiles.DockerIgnore(new ContainerSettings { SdkVersion = "1", BaseImage = "b" }));
        File.WriteAllText(Path.Combine(model, "Dockerfile"), ContainerFiles.Dockerfile(new ContainerSettings { SdkVersion = "1", BaseImage = "b" }));
        return model;
    }

    private static string Handler => Path.Combine(Repository.Root, "src", "Quetzal.Sdk.Msbuild", "handler");

    [Fact]
    public void The_context_holds_the_model_code_and_the_sdk_handler_but_no_data_or_secrets()
    {
        var model = Model();
        File.WriteAllText(Path.Combine(model, ".env"), "AWS_SECRET_ACCESS_KEY=x");
        Directory.CreateDirectory(Path.Combine(model, ".aws"));
        File.WriteAllText(Path.Combine(model, ".aws", "credentials"), "[default]");
        Directory.CreateDirectory(Path.Combine(model, "obj"));
        File.WriteAllText(Path.Combine(model, "obj", "x"), "");

        var context = BuildContext.Create(model, Handler, null);
        Assert.Contains(".quetzal/model/steps/loaded_links.py", context.Entries);
        Assert.Contains(".quetzal/model/requirements.txt", context.Entries);
        Assert.Contains("Dockerfile", context.Entries);
        Assert.Contains(".quetzal/handler/quetzal_handler.py", context.Entries);
        // The generated Dockerfile copies the model from its folder: its .dockerignore is already applied, not sent.
        Assert.DoesNotContain(".dockerignore", context.Entries);
        Assert.DoesNotContain(context.Entries, e => !e.StartsWith(".quetzal/", StringComparison.Ordinal) && e != "Dockerfile");
        Assert.DoesNotContain(context.Entries, e => e.Contains("scenarios/", StringComparison.Ordinal));
        Assert.DoesNotContain(context.Entries, e => e.Contains(".env") || e.Contains(".aws") || e.Contains("obj/", StringComparison.Ordinal));

        using var reader = new TarReader(context.OpenTar());
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        Assert.Equal(context.Entries, names);
    }

    [Theory]
    [InlineData(".env")]
    [InlineData("steps/.env.production")]
    [InlineData(".aws/credentials")]
    [InlineData("deploy/id_rsa")]
    [InlineData("certs/server.key")]
    [InlineData("credentials.json")]
    public void A_secret_that_a_taken_over_dockerignore_lets_through_fails_with_its_name(string secret)
    {
        var model = Model();
        File.WriteAllText(Path.Combine(model, ".dockerignore"), "scenarios\nbin\nobj\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(model, secret))!);
        File.WriteAllText(Path.Combine(model, secret), "AWS_SECRET_ACCESS_KEY=canary");
        var error = Assert.Throws<Quetzal.Sdk.Diagnostics.QuetzalException>(() => BuildContext.Create(model, Handler, null));
        Assert.Equal("QTZ3006", error.Diagnostic.Code);
        Assert.Contains($"'{secret}'", error.Message);
    }

    [Fact]
    public void The_same_files_give_the_same_tag_and_a_change_gives_another()
    {
        var model = Model();
        var first = BuildContext.Create(model, Handler, null);
        File.SetLastWriteTimeUtc(Path.Combine(model, "steps", "loaded_links.py"), DateTime.UtcNow.AddDays(-3));
        Assert.Equal(first.ContentTag, BuildContext.Create(model, Handler, null).ContentTag);

        File.AppendAllText(Path.Combine(model, "steps", "loaded_links.py"), "\n# changed\n");
        Assert.NotEqual(first.ContentTag, BuildContext.Create(model, Handler, null).ContentTag);
        Assert.Matches("^q-[0-9a-f]{16}$", first.ContentTag);
    }

    [Fact]
    public void The_tar_carries_nothing_of_the_process_that_wrote_it()
    {
        // PAX extended headers are named after the writing process's id, which would change the tag on every build.
        var tar = BuildContext.Create(Model(), Handler, null).Tar.ToArray();
        Assert.DoesNotContain("PaxHeaders", System.Text.Encoding.ASCII.GetString(tar));
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            Assert.Equal(TarEntryFormat.Gnu, entry.Format);
            Assert.Equal(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
        }
    }

    [Fact]
    public void Scenario_data_does_not_change_the_tag()
    {
        var model = Model();
        var before = BuildContext.Create(model, Handler, null).ContentTag;
        File.AppendAllText(Path.Combine(model, "scenarios", "base", "inputs", "params.json"), " ");
        Assert.Equal(before, BuildContext.Create(model, Handler, null).ContentTag);
    }

    [Fact]
    public void A_library_checkout_goes_under_the_sdk_folder_without_its_git_or_caches()
    {
        var model = Model();
        var library = _dir.Combine("quetzal-lib");
        _dir.Write("quetzal-lib/quetzal/__init__.py", "");
        _dir.Write("quetzal-lib/quetzal/__pycache__/x.pyc", "");
        _dir.Write("quetzal-lib/.git/config", "");
        var context = BuildContext.Create(model, Handler, library);
        Assert.Contains(".quetzal/library/quetzal/__init__.py", context.Entries);
        Assert.DoesNotContain(context.Entries, e => e.Contains("__pycache__") || e.Contains(".git/"));
    }

    /// <summary>The model as the original flow left it: a .dockerignore of the user's own (no header), lacking obj/ and bin/.</summary>
    private string ModelWithOwnDockerignore(string content)
    {
        var model = Model();
        File.WriteAllText(Path.Combine(model, ".dockerignore"), content);
        return model;
    }

    private static ContextRules Rules(string model) => new(
        [Path.Combine(model, "obj") + "/", Path.Combine(model, "bin") + "/", Path.Combine(model, "infra", "environments", "m.tfvars")], "scenarios");

    [Fact]
    public void What_the_sdk_writes_in_the_model_folder_never_goes_into_the_image_whatever_the_dockerignore_says()
    {
        var model = ModelWithOwnDockerignore("scenarios\n**/__pycache__\n");
        Directory.CreateDirectory(Path.Combine(model, "obj", "quetzal"));
        Directory.CreateDirectory(Path.Combine(model, "bin", "quetzal-run"));
        Directory.CreateDirectory(Path.Combine(model, "infra", "environments"));
        File.WriteAllText(Path.Combine(model, "bin", "quetzal-run", "out.csv"), "x");
        File.WriteAllText(Path.Combine(model, "infra", "environments", "m.tfvars"), "model_name = \"m\"");
        // A publish holds this lock while it builds the context (the original failure: QTZ9001, "used by another process").
        using var held = new FileStream(Path.Combine(model, "obj", "quetzal", "publish.lock"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);

        var context = BuildContext.Create(model, Handler, null, Rules(model));
        Assert.DoesNotContain(context.Entries, e => e.Contains("obj/", StringComparison.Ordinal) || e.Contains("bin/", StringComparison.Ordinal));
        Assert.DoesNotContain(context.Entries, e => e.EndsWith("infra/environments/m.tfvars", StringComparison.Ordinal));
        Assert.Contains(".quetzal/model/steps/loaded_links.py", context.Entries);
        Assert.Equal(0, context.DataFiles);
    }

    [Fact]
    public void Scenario_data_that_a_taken_over_dockerignore_lets_through_is_counted_with_its_size()
    {
        var model = ModelWithOwnDockerignore("obj\nbin\n");
        var context = BuildContext.Create(model, Handler, null, Rules(model));
        var data = Directory.GetFiles(Path.Combine(model, "scenarios"), "*", SearchOption.AllDirectories);
        Assert.Equal(data.Length, context.DataFiles);
        Assert.Equal(data.Sum(f => new FileInfo(f).Length), context.DataBytes);
    }

    [Fact]
    public void A_model_file_that_cannot_be_read_is_a_coded_error_naming_it()
    {
        var model = Model();
        using var held = new FileStream(Path.Combine(model, "steps", "loaded_links.py"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        // Files are read when the content is first needed (its tag, or the build).
        var error = Assert.Throws<Quetzal.Sdk.Diagnostics.QuetzalException>(() => BuildContext.Create(model, Handler, null, Rules(model)).ContentTag);
        Assert.Equal("QTZ3010", error.Diagnostic.Code);
        Assert.StartsWith("'steps/loaded_links.py' cannot be read into the image's build context", error.Diagnostic.Message);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 5)]
    [InlineData(3, 8)]
    public void A_build_step_is_found_at_its_dockerfile_line(int step, int line)
    {
        string[] dockerfile = ["# ours", "FROM base", "", "# dependencies", "RUN pip install \\", "    -r requirements.txt \\", "    --target /x", "COPY . /x"];
        Assert.Equal(line, ImageBuilder.InstructionLine(dockerfile, step));
    }

    [Fact]
    public void A_failed_build_is_one_line_of_plain_text_with_the_step_and_the_tail_of_its_output()
    {
        var model = ModelWithOwnDockerignore("obj\n");
        File.WriteAllText(Path.Combine(model, "Dockerfile"), "FROM base\nRUN pip install x\n");
        var d = ImageBuilder.BuildFailure(Path.Combine(model, "Dockerfile"),
            ["Step 1/2 : FROM base", " ---> abc", "Step 2/2 : RUN pip install x", " ---> Running in 1", "\u001b[31mERROR: No matching distribution found for x\u001b[0m\r"],
            "The command '/bin/sh -c pip install x' returned a non-zero code: 1");
        Assert.Equal("QTZ3004", d.Code);
        Assert.Equal((Path.Combine(model, "Dockerfile"), 2), (d.File, d.Line));
        Assert.Equal("The image build failed: Step 2/2 : RUN pip install x: The command '/bin/sh -c pip install x' returned a non-zero code: 1 | output: ERROR: No matching distribution found for x", d.Message);
        // The generated Dockerfile is not the user's to edit: no location there.
        File.WriteAllText(Path.Combine(model, "Dockerfile"), ContainerFiles.Dockerfile(new ContainerSettings { SdkVersion = "1", BaseImage = "b" }));
        Assert.Null(ImageBuilder.BuildFailure(Path.Combine(model, "Dockerfile"), ["Step 2/4 : RUN x"], "failed").File);
    }

    [Fact]
    public void A_dockerfile_of_the_users_that_copies_the_folder_gets_the_model_at_the_root_with_its_dockerignore()
    {
        var model = Model();
        File.WriteAllText(Path.Combine(model, "Dockerfile"), "FROM b\nCOPY . ${LAMBDA_TASK_ROOT}/\nCOPY .quetzal/handler/ ${LAMBDA_TASK_ROOT}/\nCMD [\"quetzal_handler.handler\"]\n");
        var context = BuildContext.Create(model, Handler, null);
        Assert.Contains("steps/loaded_links.py", context.Entries);
        Assert.Contains(".dockerignore", context.Entries);
        Assert.DoesNotContain(context.Entries, e => e.StartsWith(".quetzal/model/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_library_goes_in_as_a_python_package_without_its_clutter_and_the_report_names_the_largest_parts()
    {
        var library = _dir.Combine("quetzal-lib");
        void Write(string relative, int bytes)
        {
            var path = Path.Combine(library, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, new byte[bytes]);
        }
        Write("quetzal/__init__.py", 10);
        Write("quetzal/engine/pathfinder.py", 2_000);
        Write("quetzal/data/reference.csv", 50_000);
        Write("setup.py", 100);
        foreach (var clutter in new[] { ".git/HEAD", "quetzal/__pycache__/x.cpython-312.pyc", "wheels/win_amd64/gdal.whl", "dist/quetzal-1.0.whl",
                     "tests/test_engine.py", "quetzal/tests/test_x.py", "infra/main.tf", "docker/Dockerfile", "quetzal.egg-info/PKG-INFO", ".pytest_cache/v", "big.tmp" })
            Write(clutter, 5_000);
        File.WriteAllText(Path.Combine(library, ".dockerignore"), "*.tmp\n");

        var model = Model();
        File.WriteAllText(Path.Combine(model, "Dockerfile"), ContainerFiles.Dockerfile(new ContainerSettings { SdkVersion = "1", BaseImage = "b", HasLibrary = true }));
        var context = BuildContext.Create(model, Handler, library);
        Assert.Equal(["quetzal/__init__.py", "quetzal/data/reference.csv", "quetzal/engine/pathfinder.py", "setup.py"], context.LibraryEntries);
        Assert.Equal(("library/quetzal/", 52_010L), context.Contributors[0]);

        // The generated Dockerfile gets the library as one archive (its folders, then its files), which ADD extracts.
        Assert.Contains(".quetzal/library.tar", context.Entries);
        Assert.DoesNotContain(context.Entries, e => e.StartsWith(".quetzal/library/", StringComparison.Ordinal));
        using var outer = new TarReader(context.OpenTar());
        TarEntry? archive = null;
        while (outer.GetNextEntry(copyData: true) is { } entry) if (entry.Name == ".quetzal/library.tar") archive = entry;
        using var inner = new TarReader(archive!.DataStream!);
        var names = new List<string>();
        while (inner.GetNextEntry() is { } entry) names.Add(entry.Name);
        Assert.Equal(["quetzal/", "quetzal/data/", "quetzal/engine/", "quetzal/__init__.py", "quetzal/data/reference.csv", "quetzal/engine/pathfinder.py", "setup.py"], names);

        // A Dockerfile that copies the library's folder gets the folder.
        File.WriteAllText(Path.Combine(model, "Dockerfile"), "FROM b\nCOPY .quetzal/library/ /var/task/\nCOPY .quetzal/model/ /var/task/\n");
        Assert.Contains(".quetzal/library/setup.py", BuildContext.Create(model, Handler, library).Entries);
    }

    private static (List<string> Names, Dictionary<string, string> Texts) Read(byte[] tar)
    {
        var names = new List<string>();
        var texts = new Dictionary<string, string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            names.Add(entry.Name);
            if (entry.Name.EndsWith("Dockerfile", StringComparison.Ordinal) || entry.Name.EndsWith(".txt", StringComparison.Ordinal))
                texts[entry.Name] = new StreamReader(entry.DataStream!).ReadToEnd();
        }
        return (names, texts);
    }

    /// <summary>The template's model with the generated Dockerfile of a model with a library, and a one-module library.</summary>
    private (string Model, string Library) ModelWithLibrary()
    {
        var library = _dir.Combine("library");
        Directory.CreateDirectory(Path.Combine(library, "quetzal"));
        File.WriteAllText(Path.Combine(library, "quetzal", "__init__.py"), "x = 1\n");
        var model = Model();
        File.WriteAllText(Path.Combine(model, "Dockerfile"), ContainerFiles.Dockerfile(new ContainerSettings { SdkVersion = "1", BaseImage = "b", HasLibrary = true }));
        return (model, library);
    }

    [Fact]
    public void The_generated_dockerfile_builds_in_two_stages_whose_dependencies_do_not_change_with_the_models_code()
    {
        var (model, library) = ModelWithLibrary();
        var staged = BuildContext.Create(model, Handler, library).Stages!;

        // The dependencies: the Dockerfile up to the model's COPY, the requirements, the library, the runner; no model code.
        var (names, texts) = Read(staged.Dependencies.ToArray());
        Assert.Contains(".quetzal/library.tar", names);
        Assert.Contains(".quetzal/model/requirements.txt", names);
        Assert.Contains(names, n => n.StartsWith(".quetzal/handler/", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.StartsWith(".quetzal/model/steps/", StringComparison.Ordinal));
        Assert.Contains("ADD .quetzal/library.tar", texts["Dockerfile"]);
        Assert.DoesNotContain("COPY .quetzal/model/ ", texts["Dockerfile"]);

        // The model: FROM the dependencies' image, the model's COPY, the model's files only.
        var image = staged.DependenciesImage("quetzal-lyon:q-0123");
        Assert.Equal($"quetzal-lyon:deps-{staged.DependenciesHash}", image);
        Assert.Equal("127.0.0.1:5001/m:deps-" + staged.DependenciesHash, staged.DependenciesImage("127.0.0.1:5001/m:q-1"));
        (names, texts) = Read(staged.Model(image).ToArray());
        Assert.Equal($"FROM {image}\nCOPY .quetzal/model/ ${{LAMBDA_TASK_ROOT}}/\n", texts["Dockerfile"]);
        Assert.Contains(".quetzal/model/steps/loaded_links.py", names);
        Assert.All(names.Where(n => n != "Dockerfile"), n => Assert.StartsWith(".quetzal/model/", n));

        // A step edit: same dependencies. A library change: new ones.
        File.AppendAllText(Path.Combine(model, "steps", "loaded_links.py"), "\n# tuned\n");
        Assert.Equal(staged.DependenciesHash, BuildContext.Create(model, Handler, library).Stages!.DependenciesHash);
        File.AppendAllText(Path.Combine(library, "quetzal", "__init__.py"), "y = 2\n");
        Assert.NotEqual(staged.DependenciesHash, BuildContext.Create(model, Handler, library).Stages!.DependenciesHash);
    }

    [Fact]
    public void A_dockerfile_of_the_users_is_built_as_written_in_one_stage()
    {
        var model = Model();
        var generated = File.ReadAllLines(Path.Combine(model, "Dockerfile"));
        File.WriteAllLines(Path.Combine(model, "Dockerfile"), generated.Skip(2));
        Assert.Null(BuildContext.Create(model, Handler, null).Stages);
    }

    [Fact]
    public void A_context_is_known_by_its_files_sizes_and_times_without_reading_them()
    {
        var model = Model();
        // Files written in the last seconds may still be being written: no fingerprint, the files are read.
        Assert.Equal("", BuildContext.Create(model, Handler, null).Fingerprint);
        foreach (var file in Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));
        var first = BuildContext.Create(model, Handler, null);
        Assert.Matches("^[0-9a-f]{64}$", first.Fingerprint);
        Assert.Equal(first.Fingerprint, BuildContext.Create(model, Handler, null).Fingerprint);
        var step = Path.Combine(model, "steps", "loaded_links.py");
        File.SetLastWriteTimeUtc(step, DateTime.UtcNow.AddMinutes(-1));
        Assert.NotEqual(first.Fingerprint, BuildContext.Create(model, Handler, null).Fingerprint);

        // The record keeps a tag by fingerprint, between processes; an empty fingerprint is never looked up.
        var path = _dir.Combine("obj", "content-tags.tsv");
        ContentTags.Load(path).Save(first.Fingerprint, first.ContentTag);
        Assert.Equal(first.ContentTag, ContentTags.Load(path).Find(first.Fingerprint));
        Assert.Null(ContentTags.Load(path).Find("other"));
        ContentTags.Load(path).Save("", "q-0");
        Assert.Null(ContentTags.Load(path).Find(""));
    }

    [Fact]
    public void With_the_record_a_step_edit_reads_none_of_the_dependencies_and_gets_the_tag_a_full_read_gives()
    {
        var (model, library) = ModelWithLibrary();
        foreach (var folder in new[] { library, model })
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddMinutes(-5));
        var path = _dir.Combine("obj", "content-tags.tsv");

        var first = BuildContext.Create(model, Handler, library, null, ContentTags.Load(path));
        var tag = first.ContentTag;
        Assert.True(first.Stages!.DependenciesRead);

        var step = Path.Combine(model, "steps", "loaded_links.py");
        File.AppendAllText(step, "\n# tuned\n");
        File.SetLastWriteTimeUtc(step, DateTime.UtcNow.AddMinutes(-1));
        var edited = BuildContext.Create(model, Handler, library, null, ContentTags.Load(path));
        Assert.NotEqual(tag, edited.ContentTag);
        Assert.False(edited.Stages!.DependenciesRead);
        Assert.Equal(first.Stages.DependenciesHash, edited.Stages.DependenciesHash);
        // The record only spares the reading: the tag is the one a full read gives.
        Assert.Equal(BuildContext.Create(model, Handler, library).ContentTag, edited.ContentTag);

        var module = Path.Combine(library, "quetzal", "__init__.py");
        File.AppendAllText(module, "y = 2\n");
        File.SetLastWriteTimeUtc(module, DateTime.UtcNow.AddMinutes(-1));
        var fixedLibrary = BuildContext.Create(model, Handler, library, null, ContentTags.Load(path));
        Assert.NotEqual(first.Stages.DependenciesHash, fixedLibrary.Stages!.DependenciesHash);
        Assert.True(fixedLibrary.Stages.DependenciesRead);
    }
}
