"""The fast revision check reads the same graph Alembic does."""

from alembic.script import ScriptDirectory

from core.db import _alembic_config, head_revision, known_revisions


def test_fast_revision_graph_agrees_with_alembic():
    script = ScriptDirectory.from_config(_alembic_config())
    assert head_revision() == script.get_current_head()
    assert known_revisions() == {s.revision for s in script.walk_revisions()}
