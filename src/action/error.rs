//! Why an in-process action could not run or finish: the error of the
//! step kind that ran it, or the dispatch's own. A caller (a test, a
//! future front end) tells a refused database connection from an unset
//! variable in a URL by variant; the action's outcome keeps only the
//! redacted `Display`, which is the kind's own sentence, unchanged.

use crate::db::DbStepError;
use crate::http::HttpError;
use crate::s3::S3Error;

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A database step (sql, compare, migrations, batch).
    #[error(transparent)]
    Db(#[from] DbStepError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    S3(#[from] S3Error),
    /// A shell action reached the in-process dispatch: a bug of the caller.
    #[error("a shell action is not run inside runsheet")]
    NotInProcess,
    /// A database action prepared without its database settings: a bug of
    /// the caller (`InProcess::prepare` always gives them).
    #[error("a database action was prepared without its database settings")]
    NoDatabaseSettings,
}
