//! `runsheet export`: a journal in other formats (an asciinema recording).

pub mod asciicast;
