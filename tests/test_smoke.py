from tests.conftest import fast_fetch


def test_pull_smoke(project, feed_source):
    project.write_config(
        [feed_source("golem", "golem-de-2018-10.xml"), feed_source("nixos", "nixos-news.xml")],
        fetch=fast_fetch(),
    )
    result = project.run("pull", "--json")
    print(result.output)
    assert result.exit_code == 0
