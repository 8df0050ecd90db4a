"""Names of the channel-layer groups. A socket joins only groups ``access`` allowed it."""


def attendant(attendant_id: int) -> str:
    """Events about one attendant's tickets and status: only that attendant's sockets."""
    return f"desk.attendant.{attendant_id}"


def team(team_id: int) -> str:
    """Queue changes of one team: the sockets of its members."""
    return f"desk.team.{team_id}"


def supervisors(bot_id: int) -> str:
    """Everything that moves the board of one top-level bot: its supervisors' sockets."""
    return f"desk.supervisors.{bot_id}"


def user(user_id: int) -> str:
    """Every Desk socket of one login, so logging out closes them all."""
    return f"desk.user.{user_id}"
