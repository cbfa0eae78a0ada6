<%@ Page Language="C#" %>
