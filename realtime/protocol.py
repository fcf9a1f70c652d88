"""The live game wire protocol, version 1: every message type, as constants and TypedDicts.

docs/protocol.md documents the same messages with JSON examples; change both together.
All times on the wire are server epoch milliseconds (ints). Frames are JSON objects with "type".
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

PROTOCOL_VERSION = 1

# Largest accepted client frame (bytes of the text frame); larger frames get error "too_large".
MAX_FRAME_BYTES = 16 * 1024
# Client frames per second per socket before "rate_limited" (excess frames are dropped).
MAX_MESSAGES_PER_SECOND = 20

# --- Roles and phases -----------------------------------------------------------------------

ROLE_PLAYER = "player"
ROLE_HOST = "host"
ROLE_SCREEN = "screen"
ROLES = (ROLE_PLAYER, ROLE_HOST, ROLE_SCREEN)

PHASE_LOBBY = "lobby"
PHASE_READ = "read"  # question shown, options hidden (shows_at..opens_at)
PHASE_OPEN = "open"  # answer window (opens_at..ends_at, + grace on the server)
PHASE_CLOSED = "closed"  # window over, results being computed
PHASE_REVEAL = "reveal"
PHASE_LEADERBOARD = "leaderboard"
PHASE_PODIUM = "podium"
PHASE_ENDED = "ended"
PHASES = (
    PHASE_LOBBY,
    PHASE_READ,
    PHASE_OPEN,
    PHASE_CLOSED,
    PHASE_REVEAL,
    PHASE_LEADERBOARD,
    PHASE_PODIUM,
    PHASE_ENDED,
)

# --- Client -> server -----------------------------------------------------------------------

C_HELLO = "hello"
C_ANSWER = "answer"
C_PING = "ping"
C_HOST = "host"
CLIENT_TYPES = (C_HELLO, C_ANSWER, C_PING, C_HOST)
# A phone joins on the join socket (/ws/join/) with one frame, instead of POST /api/games/join
# and a hello: {"type": "join", "pin", "nickname", "team"?, "challenge"?, "venue"?, "lang"?}.
C_JOIN = "join"
# ... after a PIN look-up on the same socket: {"type": "lookup", "pin"} -> S_FOUND (or an error).
C_LOOKUP = "lookup"
JOIN_FIELDS = ("pin", "nickname", "team", "challenge", "venue")

# Host actions (frame {"type": "host", "action": ..., ...args}).
A_START = "start"
A_NEXT = "next"
A_SKIP = "skip"
A_END_QUESTION = "end_question"
A_ADD_TIME = "add_time"  # {"seconds": 1..120}
A_PAUSE = "pause"
A_RESUME = "resume"
A_LOCK = "lock"
A_UNLOCK = "unlock"
A_LATE_JOIN = "late_join"  # {"on": bool}
A_KICK = "kick"  # {"player": id}  (kick = ban for this game)
A_LEADERBOARD = "leaderboard"  # {"on": bool}  show the leaderboard after the current reveal
A_AUTO_ADVANCE = "auto_advance"  # {"on": bool}  close the window once everyone answered
A_TEAM = "team"  # {"player": id, "team": int|null}
A_END_GAME = "end_game"
HOST_ACTIONS = (
    A_START,
    A_NEXT,
    A_SKIP,
    A_END_QUESTION,
    A_ADD_TIME,
    A_PAUSE,
    A_RESUME,
    A_LOCK,
    A_UNLOCK,
    A_LATE_JOIN,
    A_KICK,
    A_LEADERBOARD,
    A_AUTO_ADVANCE,
    A_TEAM,
    A_END_GAME,
)


class Hello(TypedDict):
    type: Literal["hello"]
    v: int
    role: Literal["player", "host", "screen"]
    token: NotRequired[str]  # player
    key: NotRequired[str]  # screen
    lang: NotRequired[Literal["vi", "en"]]


class Answer(TypedDict):
    type: Literal["answer"]
    q: int
    answer_id: str  # client-generated UUID: the idempotency key
    response: dict  # shapes: quizzes/grading.py module docstring


class Ping(TypedDict):
    type: Literal["ping"]
    t: int


class HostCommand(TypedDict):
    type: Literal["host"]
    action: str
    seconds: NotRequired[int]
    on: NotRequired[bool]
    player: NotRequired[int]
    team: NotRequired[int | None]


# --- Server -> client -----------------------------------------------------------------------

S_STATE = "state"
S_LOBBY = "lobby"
S_QUESTION = "question"
S_ACK = "ack"
S_ANSWERS = "answers"
S_TIMER = "timer"
S_CLOSED = "closed"
S_REVEAL = "reveal"
S_RESULT = "result"
S_LEADERBOARD = "leaderboard"
S_PODIUM = "podium"
S_KICKED = "kicked"
S_ENDED = "ended"
S_PONG = "pong"
S_ERROR = "error"
S_FLAGS = "flags"
S_KEY = "key"  # host only: the right answer of the question just shown
S_SKIPPED = "skipped"  # everyone: the host skipped question q (the next frame follows)
# Host and screens of a game with venues, about once a second: each venue's attendance, answers,
# screen and MC status, the totals, and the venue board once a question is scored
# (realtime/venue_live.py, docs/protocol.md "Venues").
S_VENUES = "venues"
# The join socket's answer to a join frame (the join API's body), just before the state.
S_JOINED = "joined"
# The join socket's answer to a look-up frame (the look-up API's body: game, challenge, venues).
S_FOUND = "found"
SERVER_TYPES = (
    S_STATE,
    S_LOBBY,
    S_QUESTION,
    S_ACK,
    S_ANSWERS,
    S_TIMER,
    S_CLOSED,
    S_REVEAL,
    S_RESULT,
    S_LEADERBOARD,
    S_PODIUM,
    S_KICKED,
    S_ENDED,
    S_PONG,
    S_ERROR,
    S_FLAGS,
    S_KEY,
    S_SKIPPED,
    S_VENUES,
    S_JOINED,
    S_FOUND,
)

ACK_RECEIVED = "received"

# Error codes (frame {"type": "error", "code", "message" (translated), "details"}).
E_MALFORMED = "malformed"
E_UNKNOWN_TYPE = "unknown_type"
E_TOO_LARGE = "too_large"
E_RATE_LIMITED = "rate_limited"
E_HELLO_REQUIRED = "hello_required"
E_NOT_AUTHORISED = "not_authorised"
E_NOT_OPEN = "not_open"
E_LATE = "late"
E_WRONG_QUESTION = "wrong_question"
E_INVALID_ANSWER = "invalid_answer"
E_INVALID_ACTION = "invalid_action"
E_GAME_ENDED = "game_ended"
E_KICKED = "kicked"
E_BUSY = "busy"
E_QUIZ_LOCKED = "quiz_locked"
ERROR_CODES = (
    E_MALFORMED,
    E_UNKNOWN_TYPE,
    E_TOO_LARGE,
    E_RATE_LIMITED,
    E_HELLO_REQUIRED,
    E_NOT_AUTHORISED,
    E_NOT_OPEN,
    E_LATE,
    E_WRONG_QUESTION,
    E_INVALID_ANSWER,
    E_QUIZ_LOCKED,
    E_INVALID_ACTION,
    E_GAME_ENDED,
    E_KICKED,
    E_BUSY,
)


class Bilingual(TypedDict):
    vi: str
    en: str


class ChoicePayload(TypedDict):
    id: str  # opaque per game; never reveals authored order or correctness
    text: Bilingual


class QuestionPayload(TypedDict):
    type: str  # single|multi|truefalse|text|numeric|order|poll|slide
    text: Bilingual
    image: str | None
    choices: list[ChoicePayload]
    time_limit: int  # seconds
    points: int  # weight 0/1/2


class QuestionFrame(TypedDict):
    type: Literal["question"]
    q: int
    total: int
    now: int
    shows_at: int
    opens_at: int
    ends_at: int
    paused: bool
    question: QuestionPayload


class GameInfo(TypedDict):
    id: int
    pin: str
    title: NotRequired[str]  # host only
    phase: str
    paused: bool
    locked: bool
    late_join: bool
    auto_advance: bool
    show_leaderboard: bool
    players: int
    q: int | None
    total: int
    branding: dict
    practice: bool  # a teacher's private try-out: pages show "Practice"


class You(TypedDict):
    player: int
    nickname: str
    team: int | None
    score: int
    rank: int | None
    streak: int
    answered: bool
    answer: dict | None
    submission_id: str | None


class StateFrame(TypedDict):
    type: Literal["state"]
    v: int
    role: str
    now: int
    game: GameInfo
    question: QuestionFrame | None
    answers: NotRequired[dict]  # host/screen: {"q", "count", "total"}
    reveal: dict | None
    leaderboard: dict | None
    podium: dict | None
    you: NotRequired[You]  # players only
    roster: NotRequired[list[dict]]  # host and screen only
    key: NotRequired[dict]  # host only, during a question: {"q", "correct"}


class Ack(TypedDict):
    type: Literal["ack"]
    status: Literal["received"]
    submission_id: str


class ResultFrame(TypedDict):
    type: Literal["result"]
    q: int
    correct: bool | None
    fraction: float | None
    points: int
    score: int
    rank: int
    streak: int


class KeyFrame(TypedDict):
    type: Literal["key"]
    q: int
    correct: dict | None  # the reveal's "correct" shape, with opaque choice ids


class SkippedFrame(TypedDict):
    type: Literal["skipped"]
    q: int


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    details: dict | None
