"""Type stubs of the native module (Rust, PyO3). Use the `assay` package, not this module."""

from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

__version__: str

class ConfigError(ValueError):
    problems: List[Dict[str, str]]
    source: str

class Engine:
    @staticmethod
    def from_path(path: str) -> "Engine": ...
    @staticmethod
    def from_value(config: Any, source: Optional[str] = None) -> "Engine": ...
    @staticmethod
    def from_json(config: str, source: str) -> "Engine": ...
    @staticmethod
    def for_kind(kind: str, options: Optional[Dict[str, Any]] = None) -> "Engine": ...
    @property
    def config(self) -> str: ...
    @property
    def source(self) -> str: ...
    def grader_names(self) -> List[str]: ...
    def component_keys(self, grader: Optional[str] = None) -> List[str]: ...
    def route(self, data_source: Optional[str] = None) -> Optional[str]: ...
    def score(
        self,
        items: Iterable[Any],
        grader: Optional[str] = None,
        on_error: Union[str, float, int, None] = None,
        advantage: Optional[str] = None,
        deadline: Optional[float] = None,
    ) -> List[Dict[str, Any]]: ...

def graders() -> List[Dict[str, Any]]: ...

DEFAULT_STRIP_TOKENS: Tuple[str, ...]

def response_of(
    query: str, prompt: Optional[str] = None, tokens: Optional[List[str]] = None
) -> Tuple[str, bool]: ...
def strip(text: str, tokens: Optional[List[str]] = None) -> str: ...
def select(
    records: List[Dict[str, Any]],
    method: str = "majority",
    equivalence: str = "math",
    min_confidence: Optional[float] = None,
    decimal_tolerance: Optional[float] = None,
    last_answer_on_conflict: bool = False,
    estimators: bool = True,
) -> List[Dict[str, Any]]: ...
